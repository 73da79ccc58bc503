import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openDatabase, type OpenDatabase } from '../../../core/db/open-database.ts';
import { PGliteDialect } from '../../../core/db/pglite-dialect.ts';
import { PGliteThread, PGliteThreadError } from '../../../core/db/pglite-thread.ts';
import { openTestDatabase } from '../../support/test-database.ts';

// The embedded default: PGlite in its own thread, behind the same kysely dialect as before.
describe('embedded PGlite in its own thread', () => {
  const opened: OpenDatabase[] = [];
  /** In memory from the migrated snapshot, or in a folder. */
  const open = async (dir?: string) => {
    const handle = dir ? await openDatabase({ kind: 'pglite', dir }) : (await openTestDatabase('pglite')).handle;
    opened.push(handle);
    return handle;
  };
  afterEach(async () => {
    for (const handle of opened.splice(0)) await handle.close();
  });

  it('answers queries with the column types the rest of the code expects', async () => {
    const { db } = await open();
    const { rows } = await sql<{ n: number; at: Date; bytes: Uint8Array; doc: unknown; list: number[] }>`
      select ${'9007199254740'}::int8 as n, ${new Date('2026-01-02T03:04:05Z')}::timestamptz as at,
             ${Buffer.from([1, 2, 255])}::bytea as bytes, ${JSON.stringify({ a: [1, '二'] })}::jsonb as doc, array[1, 2]::int4[] as list`.execute(db);
    expect(rows).toEqual([{ n: 9007199254740, at: new Date('2026-01-02T03:04:05Z'), bytes: new Uint8Array([1, 2, 255]), doc: { a: [1, '二'] }, list: [1, 2] }]);
    const inserted = await sql`create temp table t (id int primary key)`.execute(db).then(() => sql`insert into t select generate_series(1, 3)`.execute(db));
    expect(inserted.numAffectedRows).toBe(3n);
  });

  it('commits a transaction, and rolls back one that throws, leaving nothing of it', async () => {
    const { db } = await open();
    await sql`create table t (id int primary key)`.execute(db);
    await db.transaction().execute(async (trx) => {
      await sql`insert into t values (1)`.execute(trx);
      await sql`insert into t values (2)`.execute(trx);
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into t values (3)`.execute(trx);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    // A statement failing inside the transaction rolls back the statements before it too.
    await expect(
      db.transaction().execute(async (trx) => {
        await sql`insert into t values (4)`.execute(trx);
        await sql`insert into t values (1)`.execute(trx);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await sql<{ id: number }>`select id from t order by id`.execute(db)).rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('keeps the Postgres error fields, so callers handle errors as they would on PGlite itself', async () => {
    const { db } = await open();
    await sql`create table t (id int constraint t_pkey primary key, n int not null)`.execute(db);
    await sql`insert into t values (1, 1)`.execute(db);
    const duplicate = await sql`insert into t values (1, 2)`.execute(db).catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(PGliteThreadError);
    expect(duplicate).toMatchObject({ code: '23505', constraint: 't_pkey', table: 't', severity: 'ERROR', message: expect.stringContaining('duplicate key') });
    await expect(sql`insert into t values (2, null)`.execute(db)).rejects.toMatchObject({ code: '23502', column: 'n' });
    await expect(sql`selec 1`.execute(db)).rejects.toMatchObject({ code: '42601' });
    // The session is still usable after errors.
    expect((await sql<{ n: number }>`select count(*)::int as n from t`.execute(db)).rows).toEqual([{ n: 1 }]);
  });

  it('refuses a parameter it cannot send to the thread, and goes on working', async () => {
    const { db } = await open();
    await expect(sql`select ${sql.val({ notData: () => 1 })}::jsonb as f`.execute(db)).rejects.toThrow();
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
  });

  it('runs concurrent transactions one after the other on its one session', async () => {
    const { db } = await open();
    await sql`create table log (seq serial, who text)`.execute(db);
    const steps: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = db.transaction().execute(async (trx) => {
      steps.push('first begins');
      await sql`insert into log (who) values ('first')`.execute(trx);
      await firstHolds;
      await sql`insert into log (who) values ('first')`.execute(trx);
      steps.push('first ends');
    });
    const second = db.transaction().execute(async (trx) => {
      steps.push('second begins');
      await sql`insert into log (who) values ('second')`.execute(trx);
    });
    // A query outside any transaction waits for the session too.
    const outside = sql`select count(*)::int as n from log`.execute(db);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(steps).toEqual(['first begins']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(steps).toEqual(['first begins', 'first ends', 'second begins']);
    expect((await outside).rows).toEqual([{ n: 3 }]);
    expect((await sql<{ who: string }>`select who from log order by seq`.execute(db)).rows.map((row) => row.who)).toEqual(['first', 'first', 'second']);
  });

  it('writes its data to the folder on close, refuses queries after it, and opens again with the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-pglite-thread-'));
    const first = await openDatabase({ kind: 'pglite', dir });
    await sql`create table kept (v text)`.execute(first.db);
    await sql`insert into kept values ('still here')`.execute(first.db);
    await first.close();
    await expect(sql`select 1`.execute(first.db)).rejects.toThrow();
    const again = await open(dir);
    expect((await sql<{ v: string }>`select v from kept`.execute(again.db)).rows).toEqual([{ v: 'still here' }]);
  });

  it('closes once however often asked, and a closed thread answers with a clear error', async () => {
    const thread = new PGliteThread({ snapshot: new Blob([await readFile(inject('pgliteSnapshot'))]) });
    const db = new Kysely({ dialect: new PGliteDialect(thread) });
    expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    await Promise.all([thread.close(), thread.close()]);
    await expect(thread.query('select 1')).rejects.toThrow('the embedded database is closed');
  });
});
