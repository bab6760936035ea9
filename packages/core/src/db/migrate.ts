import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { AppError } from '../errors';
import type { Database } from './database';
import { migrations as allMigrations } from './migrations';

export class MigrationError extends AppError {}

class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Readonly<Record<string, Migration>>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...this.migrations };
  }
}

/**
 * Applies every pending migration in order and returns the names it applied (none when the
 * database is up to date, so calling it at every start is harmless). Kysely's Migrator takes a
 * Postgres advisory lock, so an API and workers starting together apply each migration once,
 * and it refuses a database whose applied migrations are not a prefix of ours.
 */
export async function migrate(
  db: Kysely<Database>,
  migrations: Readonly<Record<string, Migration>> = allMigrations,
): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider(migrations) });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? '(before any migration ran)';
    const message = error instanceof Error ? error.message : JSON.stringify(error);
    throw new MigrationError(`database migration ${failed} failed: ${message}`, { cause: error });
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
