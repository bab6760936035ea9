import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Database } from './database';
import { createPgliteDb } from './pglite.database';
import { createPostgresDb } from './postgres.database';

/** DATABASE_URL set: Postgres. Unset: embedded PGlite persisted in DATA_DIR/db (DESIGN §8). */
export async function createDatabase(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR'>,
  logger?: Logger,
): Promise<Kysely<Database>> {
  if (config.DATABASE_URL) return createPostgresDb(config.DATABASE_URL, { logger });
  return createPgliteDb(path.join(config.DATA_DIR, 'db'));
}
