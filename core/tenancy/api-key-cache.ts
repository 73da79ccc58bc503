/**
 * API keys remembered in memory, so an authenticated request costs no database round trip.
 * Revocation still takes effect at once: it publishes on the change feed, which drops the key here
 * (and in every other process), and while the feed is not live nothing is answered from memory.
 * A lookup that raced a revocation is not remembered (the generation moved on meanwhile).
 */
import type { Kysely } from 'kysely';
import { changeFeedOf, type ChangeFeed } from '../db/change-feed.ts';
import type { Database } from '../db/schema.ts';
import { loadApiKey, parseApiKey, principalIfSecretMatches, type ApiKeyPrincipal, type StoredApiKey } from './api-keys.ts';

/** Bounds memory if many distinct keys are used; the cache simply starts over when full. */
const MAX_KEYS = 10_000;

export class ApiKeyCache {
  private readonly keys = new Map<string, StoredApiKey>();
  private readonly feed: ChangeFeed;
  private generation = 0;

  constructor(private readonly db: Kysely<Database>) {
    this.feed = changeFeedOf(db);
    this.feed.subscribe('accord_api_keys', (id) => {
      this.generation++;
      this.keys.delete(id);
    });
    this.feed.onReset(() => {
      this.generation++;
      this.keys.clear();
    });
  }

  /** The principal of a valid, unrevoked key; undefined for anything else. */
  async authenticate(token: string): Promise<ApiKeyPrincipal | undefined> {
    const parsed = parseApiKey(token);
    if (!parsed) return undefined;
    const cached = this.feed.live ? this.keys.get(parsed.id) : undefined;
    if (cached) return principalIfSecretMatches(cached, parsed.secret);
    const generation = this.generation;
    const key = await loadApiKey(this.db, parsed.id);
    if (!key) return undefined;
    const principal = principalIfSecretMatches(key, parsed.secret);
    // Only keys proven by their secret are remembered: guessed ids cannot fill the cache.
    if (principal && this.feed.live && generation === this.generation) {
      if (this.keys.size >= MAX_KEYS) this.keys.clear();
      this.keys.set(key.keyId, key);
    }
    return principal;
  }
}
