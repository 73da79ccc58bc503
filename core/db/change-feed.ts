/**
 * Change notifications for in-process caches (API keys, the point gate). A committed write
 * publishes on a channel; every process using the database hears it: this process directly after
 * commit, other processes through Postgres LISTEN/NOTIFY. Embedded PGlite is one process by
 * construction (its data folder is locked), so there the direct delivery is all there is.
 *
 * A cache may only answer while the feed is live: when the listening connection drops, notifications
 * may be lost, so subscribers are told to forget everything and the feed reports not live until it
 * has listened again.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import pg from 'pg';
import { randomUUID } from 'node:crypto';

export const CHANGE_CHANNELS = ['accord_consent', 'accord_api_keys'] as const;
export type ChangeChannel = (typeof CHANGE_CHANNELS)[number];

/** Postgres refuses NOTIFY payloads of 8000 bytes or more. */
export const MAX_CHANGE_PAYLOAD = 7_000;

type Listener = (payload: string) => void;

export class ChangeFeed {
  /** Marks this process's notifications, which it has already delivered to itself on commit. */
  readonly origin = randomUUID();
  private readonly listeners = new Map<ChangeChannel, Set<Listener>>();
  private readonly resetListeners = new Set<() => void>();
  private liveNow = true;

  /** Whether every committed change is being delivered; caches answer only while it is. */
  get live(): boolean {
    return this.liveNow;
  }

  subscribe(channel: ChangeChannel, listener: Listener): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Called whenever deliveries may have been missed: drop everything cached. */
  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  deliver(channel: ChangeChannel, payload: string): void {
    for (const listener of this.listeners.get(channel) ?? []) listener(payload);
  }

  setLive(live: boolean): void {
    this.liveNow = live;
    for (const listener of this.resetListeners) listener();
  }
}

const feeds = new WeakMap<Kysely<never>, ChangeFeed>();

/** The feed of a database handle (one per handle, made on first use). */
export function changeFeedOf<DB>(db: Kysely<DB>): ChangeFeed {
  const key = db as unknown as Kysely<never>;
  let feed = feeds.get(key);
  if (!feed) feeds.set(key, (feed = new ChangeFeed()));
  return feed;
}

/** Queues a NOTIFY in the transaction: Postgres delivers it to listeners only when it commits. */
export async function notifyOnCommit<DB>(trx: Transaction<DB>, feed: ChangeFeed, channel: ChangeChannel, payload: string): Promise<void> {
  if (Buffer.byteLength(payload) > MAX_CHANGE_PAYLOAD) throw new RangeError(`change payload over ${MAX_CHANGE_PAYLOAD} bytes`);
  await sql`select pg_notify(${channel}, ${`${feed.origin} ${payload}`})`.execute(trx);
}

const RECONNECT_MS = [100, 500, 2_000, 5_000];

/**
 * Listens on Postgres for changes made by other processes, on a connection of its own. While it
 * is not connected the feed is not live; after reconnecting, subscribers reset once more, because
 * changes made while it was away were never heard.
 */
export function listenOnPostgres(feed: ChangeFeed, url: string): { close(): Promise<void> } {
  let client: pg.Client | undefined;
  let closed = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;

  const down = () => {
    if (feed.live) feed.setLive(false);
    client?.removeAllListeners();
    client?.on('error', () => {});
    void client?.end().catch(() => {});
    client = undefined;
    if (!closed) timer = setTimeout(connect, RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)]);
  };

  const connect = async () => {
    const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    client = next;
    next.on('error', down);
    next.on('end', () => client === next && down());
    next.on('notification', (message) => {
      const wire = message.payload ?? '';
      const space = wire.indexOf(' ');
      if (space < 0 || wire.slice(0, space) === feed.origin) return;
      if ((CHANGE_CHANNELS as readonly string[]).includes(message.channel)) feed.deliver(message.channel as ChangeChannel, wire.slice(space + 1));
    });
    try {
      await next.connect();
      for (const channel of CHANGE_CHANNELS) await next.query(`listen ${channel}`);
      if (closed) return void (await next.end());
      attempt = 0;
      feed.setLive(true);
    } catch {
      if (client === next) down();
    }
  };

  feed.setLive(false);
  void connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const last = client;
      client = undefined;
      last?.removeAllListeners();
      last?.on('error', () => {});
      await last?.end().catch(() => {});
    },
  };
}
