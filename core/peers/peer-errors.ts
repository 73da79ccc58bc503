/** Errors of node-to-node requests, on both ends; the API maps the codes to HTTP statuses in api/errors.ts. */
import { CodedError } from '../errors.ts';

export const peerErrorCodes = {
  ACCORD_ERR_NODE_UNAUTHENTICATED: 'The node request signature is missing or does not verify',
  ACCORD_ERR_NODE_CLOCK_SKEW: 'The node request timestamp is outside the accepted window',
  ACCORD_ERR_NODE_REPLAY: 'The node request nonce was already used',
  ACCORD_ERR_PEER_UNREACHABLE: 'The peer node could not be reached',
  ACCORD_ERR_PEER_REFUSED: 'The peer node refused the request',
  ACCORD_ERR_PEER_OFFLINE: 'The peer is an offline party: it has no address to call',
} as const;

export type PeerErrorCode = keyof typeof peerErrorCodes;

export class PeerError extends CodedError<PeerErrorCode> {}
