import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './database';
import { PgliteSingleConnectionPool } from './pglite.pool';

/**
 * Kysely over an embedded PGlite (the single-machine default). `dir` persists the database
 * (DATA_DIR/db); omit it for an in-memory database. Opening a new directory takes a few
 * seconds (WASM start + initdb), so open once per process. `db.destroy()` closes PGlite after
 * in-flight queries finish.
 */
export async function createPgliteDb(dir?: string): Promise<Kysely<Database>> {
  if (dir) await mkdir(dir, { recursive: true });
  // create() waits until the database is open, so a broken data directory fails at start.
  const pglite = await PGlite.create(dir);
  const pool = new PgliteSingleConnectionPool(pglite);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
