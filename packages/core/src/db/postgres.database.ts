import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import type { Logger } from '../logger';
import type { Database } from './database';

export interface PostgresDbOptions {
  /** Pool size; each in-flight query holds one connection. */
  max?: number;
  /** Receives errors of idle connections (a Postgres restart, a terminated backend). */
  logger?: Logger;
}

/** Kysely over a `pg` pool (production). `db.destroy()` ends the pool. */
export function createPostgresDb(url: string, options: PostgresDbOptions = {}): Kysely<Database> {
  const pool = new Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle connection that Postgres drops (restart, pg_terminate_backend, network) is reported
  // by the pool as an 'error' event; unhandled, that event would crash the process. The pool has
  // already discarded the connection and the next query opens a new one, so report and go on.
  pool.on('error', (err) => {
    if (options.logger) options.logger.warn('idle database connection lost', { error: err });
    else process.emitWarning(`idle database connection lost: ${err.message}`);
  });
  // A connection checked out when it dies emits 'error' on the client too, and the pool listens
  // only to idle ones (node-postgres#2439): unhandled, a Postgres restart in the middle of a query
  // crashes the process. The query itself already rejects with that error, so nothing more to do.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
