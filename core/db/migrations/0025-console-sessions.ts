/**
 * Console sessions (issue 14): a browser signs in once and then carries an HttpOnly cookie instead
 * of an API key. Only a SHA-256 hash of the session secret is kept (the CSRF token is derived from
 * the secret, so it needs no column). The row
 * names the tenant, the role and the scopes the session may use (never more than the credential
 * it was opened with), and who acted, for the audit trail. A session opened with an API key ends
 * when that key is revoked: it is read together with the key. Like api_keys, a session is looked up
 * before its tenant is known, so the table is read by the node, not under a tenant's row security.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table console_sessions (
      id text primary key,
      tenant_id uuid not null references tenants(id),
      secret_hash bytea not null check (length(secret_hash) = 32),
      role text not null check (role in ('privacy_officer', 'marketer', 'admin')),
      scopes text[] not null,
      actor text not null,
      api_key_id text references api_keys(id),
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      ended_at timestamptz
    )`.execute(db);
}
