// The project's docker-compose.yml driven through `docker compose` with a test override file, under
// its own project name and an empty env file, so neither a developer's .env nor their own stack
// (project `video-jobs`) is touched.
import fs from 'node:fs';
import path from 'node:path';
import { mustRun, run, sleep, type RunOptions, type RunResult } from './run';

export interface ContainerState {
  ID: string;
  Name: string;
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
}

export interface ComposeStackOptions {
  root: string;
  project: string;
  /** Compose files after docker-compose.yml (the override). */
  overrides: string[];
  /** Variables the compose file interpolates (API_PORT, ...); nothing else of this process leaks in. */
  variables: Record<string, string>;
  workDir: string;
}

export class ComposeStack {
  private readonly envFile: string;

  constructor(private readonly options: ComposeStackOptions) {
    this.envFile = path.join(options.workDir, 'compose.env');
    fs.writeFileSync(this.envFile, '');
  }

  private args(args: string[]): string[] {
    const files = ['docker-compose.yml', ...this.options.overrides].flatMap((f) => ['-f', f]);
    return ['compose', '--project-name', this.options.project, '--env-file', this.envFile, ...files, ...args];
  }

  private env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env = { ...process.env };
    // The compose file's own variables come from `variables` only: a shell's API_KEYS or API_BIND
    // would change what is under test.
    for (const name of [
      'API_KEYS',
      'API_BIND',
      'API_PORT',
      'POSTGRES_PASSWORD',
      'MINIO_ROOT_USER',
      'MINIO_ROOT_PASSWORD',
    ]) {
      delete env[name];
    }
    return { ...env, ...this.options.variables, ...extra };
  }

  /** `docker compose ARGS`, whatever its exit code. */
  run(args: string[], options: RunOptions & { variables?: Record<string, string> } = {}): Promise<RunResult> {
    return run('docker', this.args(args), { cwd: this.options.root, ...options, env: this.env(options.variables) });
  }

  mustRun(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return mustRun('docker', this.args(args), { cwd: this.options.root, ...options, env: this.env() });
  }

  /** Every container of the project, running or not (`ps --all`). */
  async containers(): Promise<ContainerState[]> {
    const r = await this.mustRun(['ps', '--all', '--format', 'json']);
    const text = r.stdout.trim();
    if (!text) return [];
    // Compose 2.21+ prints one object a line; older releases one array.
    return text.startsWith('[')
      ? (JSON.parse(text) as ContainerState[])
      : text.split('\n').map((line) => JSON.parse(line) as ContainerState);
  }

  async containersOf(service: string): Promise<ContainerState[]> {
    return (await this.containers()).filter((c) => c.Service === service && c.State === 'running');
  }

  /**
   * Waits until every long-running service's containers are healthy and the one-shot minio-bucket
   * exited 0; returns the milliseconds it took, or throws with the states seen at the deadline.
   */
  async waitHealthy(expect: Record<string, number>, timeoutMs: number): Promise<number> {
    const started = Date.now();
    let seen: ContainerState[] = [];
    while (Date.now() - started < timeoutMs) {
      seen = await this.containers();
      const bucketDone = seen.some((c) => c.Service === 'minio-bucket' && c.State === 'exited' && c.ExitCode === 0);
      const healthy = Object.entries(expect).every(
        ([service, n]) =>
          seen.filter((c) => c.Service === service && c.State === 'running' && c.Health === 'healthy').length === n,
      );
      if (bucketDone && healthy) return Date.now() - started;
      const failedBucket = seen.find((c) => c.Service === 'minio-bucket' && c.State === 'exited' && c.ExitCode !== 0);
      if (failedBucket) break;
      await sleep(2_000);
    }
    const states = seen.map(
      (c) => `${c.Name} ${c.State}${c.Health ? `/${c.Health}` : ''}${c.State === 'exited' ? ` (${c.ExitCode})` : ''}`,
    );
    throw new Error(`stack not healthy after ${Math.round((Date.now() - started) / 1000)} s: ${states.join(', ')}`);
  }

  /** `docker exec` in one container (by id), whatever its exit code. */
  exec(containerId: string, command: string[], options: RunOptions = {}): Promise<RunResult> {
    return run('docker', ['exec', containerId, ...command], { timeoutMs: 60_000, ...options });
  }

  /**
   * The lines a service's containers logged (all replicas, restarts included), read with
   * `docker logs` per container: `compose logs` decorates its lines even with --no-log-prefix.
   */
  async logLines(service: string): Promise<string[]> {
    const lines: string[] = [];
    for (const c of (await this.containers()).filter((c) => c.Service === service)) {
      const r = await mustRun('docker', ['logs', c.ID], { timeoutMs: 60_000 });
      lines.push(...`${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.trim() !== ''));
    }
    return lines;
  }

  /** Runs SQL through psql in the postgres container; one row a line, fields separated by |. */
  async sql(query: string): Promise<string[][]> {
    const [pg] = await this.containersOf('postgres');
    if (!pg) throw new Error('no running postgres container');
    const r = await mustRun(
      'docker',
      ['exec', pg.ID, 'psql', '-U', 'video_jobs', '-d', 'video_jobs', '-At', '-c', query],
      {
        timeoutMs: 60_000,
      },
    );
    return r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('|'));
  }
}
