/**
 * An offline party: a collaboration party with no node to call, such as a media partner running
 * `accord psi` against a file. It is pinned in the peer registry under its key like any node, so its
 * signed requests are accepted, but it has no base URL: it fetches the terms and statements itself
 * and starts every run, and this node never pushes to it. The registry stores the empty string as
 * its base URL, which no caller can mistake for an address.
 */
export const OFFLINE_BASE_URL = '';

export const isOfflineBaseUrl = (baseUrl: string): boolean => baseUrl === OFFLINE_BASE_URL;
