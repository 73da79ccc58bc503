/** The messages between PGliteThread (the node's side) and the thread that owns the database (pglite-thread-worker.mjs). */

export interface PGliteThreadOptions {
  /** No dir: in memory. */
  readonly dir?: string | undefined;
  /** A dumpDataDir tarball to start from. */
  readonly snapshot?: ArrayBuffer | undefined;
}

export type PGliteRequest =
  | { readonly id: number; readonly kind: 'query'; readonly sql: string; readonly params: readonly unknown[] }
  | { readonly id: number; readonly kind: 'close' };

/** The fields of a Postgres error that callers may look at (code, constraint…), as PGlite's DatabaseError has them. */
export type PostgresErrorFields = Readonly<Record<string, string>>;

export type PGliteReply =
  | { readonly id: number; readonly rows: unknown[]; readonly affectedRows: number | undefined }
  | { readonly id: number; readonly closed: true }
  | { readonly id: number; readonly error: { readonly name: string; readonly message: string; readonly fields: PostgresErrorFields } }
  /** Sent once, before any reply: -1 is not a request id. */
  | { readonly id: -1; readonly ready: true };
