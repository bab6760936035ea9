import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { Client } from 'pg';
import type { Database } from '../db/database';
import { migrate } from '../db/migrate';
import { createPgliteDb } from '../db/pglite.database';
import { createPostgresDb } from '../db/postgres.database';
import { dockerReachable } from './docker';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Connection string of the fresh database (for code that opens its own connections). */
  url: string;
  db: Kysely<Database>;
  /** Closes the connections and drops the database. */
  destroy(): Promise<void>;
}

let container: Promise<{ url: string }> | undefined;

/**
 * The server to create test databases on: TEST_DATABASE_URL; else, when Docker answers, one
 * @testcontainers/postgresql container per test process (removed by testcontainers' reaper when
 * the process exits); else the machine's Postgres at DEFAULT_TEST_DATABASE_URL.
 */
async function adminUrl(): Promise<string> {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  if (!(await dockerReachable())) return DEFAULT_TEST_DATABASE_URL;
  container ??= (async () => {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const started = await new PostgreSqlContainer('postgres:15-alpine').start();
    return { url: started.getConnectionUri() };
  })();
  return (await container).url;
}

/**
 * A fresh, migrated Postgres database with a random name, so test files never see each other's
 * rows. Call once per test file (beforeAll) and destroy() in afterAll.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = await adminUrl();
  const name = `video_jobs_test_${randomBytes(6).toString('hex')}`;
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const db = createPostgresDb(url.toString());
  try {
    await migrate(db);
  } catch (err) {
    await db.destroy();
    await dropDatabase(admin, name);
    throw err;
  }
  return {
    url: url.toString(),
    db,
    async destroy() {
      await db.destroy();
      await dropDatabase(admin, name);
    },
  };
}

/** A migrated embedded PGlite in a temp directory; open one per test file (the first open takes ~5 s). */
export async function createTestPglite(): Promise<{ dir: string; db: Kysely<Database>; destroy(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-pglite-'));
  let db: Kysely<Database> | undefined;
  try {
    db = await createPgliteDb(dir);
    await migrate(db);
  } catch (err) {
    await db?.destroy();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    db,
    async destroy() {
      await db.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function dropDatabase(admin: string, name: string): Promise<void> {
  // FORCE (Postgres 13+) ends connections a failed test may have left open.
  await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
