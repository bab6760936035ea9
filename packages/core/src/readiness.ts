import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config';
import type { JobRepository } from './jobs/job.repository';
import type { JobQueue } from './queue/job-queue';
import type { ObjectStorage } from './storage/object-storage';

/** A condition the service needs to do its work, checked by /readyz (API and worker). */
export interface ReadinessCheck {
  name: string;
  /** Throws when not ready: NotReadyError with a complete reason, any other error for "unreachable". */
  check(): Promise<void>;
}

/** A check that reached what it checks and found it not fit for work (e.g. too little free space). */
export class NotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

export type Readiness =
  | { ready: true; checks: Record<string, 'ok'> }
  | { ready: false; /** One line naming each failing check, for the 503 problem detail. */ detail: string };

const CHECK_TIMEOUT_MS = 2_000;

/** Runs every check at once, each bounded by 2 s. */
export async function checkReadiness(checks: readonly ReadinessCheck[]): Promise<Readiness> {
  const results = await Promise.all(checks.map(async (c) => ({ name: c.name, failure: await runCheck(c) })));
  const down = results.filter((r) => r.failure !== undefined);
  if (down.length === 0) return { ready: true, checks: Object.fromEntries(results.map((r) => [r.name, 'ok'])) };
  return { ready: false, detail: `not ready: ${down.map((d) => d.failure).join('; ')}` };
}

/** The dependencies both apps need reachable, plus free space where storage is local. */
export function readinessChecks(
  services: { jobs: JobRepository; queue: JobQueue; storage: ObjectStorage },
  config: Pick<Config, 'STORAGE' | 'DATA_DIR' | 'MIN_FREE_BYTES'>,
): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [
    { name: 'database', check: () => services.jobs.ping() },
    { name: 'queue', check: () => services.queue.ping() },
    { name: 'storage', check: () => services.storage.ping() },
  ];
  const space = freeSpaceCheck(config);
  if (space) checks.push(space);
  return checks;
}

/**
 * Not ready while the local storage root (DATA_DIR/objects) has less than MIN_FREE_BYTES free, so
 * a load balancer stops sending uploads before they fail with 507. None for S3 or MIN_FREE_BYTES=0.
 */
export function freeSpaceCheck(
  config: Pick<Config, 'STORAGE' | 'DATA_DIR' | 'MIN_FREE_BYTES'>,
): ReadinessCheck | undefined {
  if (config.STORAGE !== 'local' || config.MIN_FREE_BYTES <= 0) return undefined;
  const root = path.join(config.DATA_DIR, 'objects');
  const min = config.MIN_FREE_BYTES;
  return {
    name: 'free_space',
    async check() {
      const free = await freeBytes(root);
      if (free < min) {
        throw new NotReadyError(
          `local storage has ${formatBytes(free)} free, less than MIN_FREE_BYTES (${formatBytes(min)}); free space or raise the volume`,
        );
      }
    },
  };
}

/** Bytes an unprivileged writer may still use (bavail, not bfree: root's reserve is not ours). */
async function freeBytes(dir: string): Promise<number> {
  // Before the first upload the root may not exist yet: measure the nearest existing parent.
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      const s = await statfs(at);
      return s.bavail * s.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || at === path.dirname(at)) throw err;
    }
  }
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

async function runCheck(c: ReadinessCheck): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`${c.name} unreachable (no answer within ${CHECK_TIMEOUT_MS} ms)`),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([c.check().then(() => undefined), timeout]);
  } catch (err) {
    if (err instanceof NotReadyError) return `${c.name}: ${err.message}`;
    return `${c.name} unreachable (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    clearTimeout(timer);
  }
}
