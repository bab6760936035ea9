import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { Database } from './database';

export interface PostgresDbOptions {
  /** Pool size; each in-flight query holds one connection. */
  max?: number;
}

/** Kysely over a `pg` pool (production). `db.destroy()` ends the pool. */
export function createPostgresDb(url: string, options: PostgresDbOptions = {}): Kysely<Database> {
  const pool = new Pool({ connectionString: url, max: options.max ?? 10 });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
