import type { PGlite } from '@electric-sql/pglite';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { AppError } from '../errors';

/**
 * The pool Kysely's PostgresDialect expects, over PGlite's single connection. PGlite is one
 * session: if two holders sent statements at once, a transaction's statements would interleave
 * with another request's. So connect() hands the one connection to ONE holder at a time (a FIFO
 * mutex) and the next holder waits for release(). Consequence: code inside a transaction must
 * use the transaction object, never `db`, or it waits for itself.
 */
export class PgliteSingleConnectionPool implements PostgresPool {
  private held = false;
  private readonly waiters: Array<() => void> = [];
  private ending: Promise<void> | undefined;

  constructor(private readonly pglite: PGlite) {}

  async connect(): Promise<PostgresPoolClient> {
    if (this.ending) throw new AppError('the embedded database is closed');
    await this.acquire();
    return new PgliteLease(this.pglite, () => this.handOver());
  }

  /** Waits for the current and already queued holders to finish, then closes PGlite. Idempotent. */
  end(): Promise<void> {
    this.ending ??= this.acquire().then(() => this.pglite.close());
    return this.ending;
  }

  private acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Passes the connection straight to the next waiter, so nobody can cut in between. */
  private handOver(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }
}

/** One holder's use of the connection; unusable after release(), so a stale holder cannot interleave. */
class PgliteLease {
  private released = false;

  constructor(
    private readonly pglite: PGlite,
    private readonly onRelease: () => void,
  ) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sql: string | PostgresCursor<R>,
    parameters: ReadonlyArray<unknown> = [],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // Kysely only passes a cursor for .stream(), which needs a cursor class PGlite does not have.
    if (typeof sql !== 'string') throw new AppError('the embedded database does not support cursors');
    return this.run<R>(sql, parameters);
  }

  private async run<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (this.released) throw new AppError('database connection used after release');
    const result = await this.pglite.query<R>(sql, [...parameters]);
    return {
      // Kysely reads command + rowCount to report affected rows of INSERT/UPDATE/DELETE/MERGE.
      command: result.command as PostgresQueryResult<R>['command'],
      rowCount: result.rowCount ?? result.affectedRows ?? 0,
      rows: result.rows,
    };
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease();
  }
}
