import { Redis, ReplyError } from 'ioredis';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { DeadlineLock } from './deadline-lock';
import { randomUUID } from 'node:crypto';
import type { JobQueue, WaitingSnapshot } from './job-queue';

export interface RedisQueueOptions {
  url: string;
  /** Key prefix: ids go to `<prefix>queue`, lost jobs to `<prefix>dead`, requeue snapshots to `<prefix>waiting:*`. */
  prefix?: string;
  /** CLIENT SETNAME of the two connections: `<name>` and `<name>:blocking` (find them in CLIENT LIST). */
  name?: string;
  /** Receives connection trouble and recovery, once per outage. */
  logger?: Logger;
}

/** List entries copied into the snapshot set per round trip (LRANGE + SADD in one script). */
const SNAPSHOT_PAGE = 1_000;
/** A snapshot left behind by a worker that died mid-pass disappears by itself. */
const SNAPSHOT_TTL_S = 600;
/**
 * Copies one page of the list into a set, server-side, so the ids never travel to the worker.
 * KEYS[1] list, KEYS[2] set; ARGV start, stop, ttl. Returns how many entries the page held.
 */
const COPY_PAGE = `
local ids = redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])
if #ids > 0 then
  redis.call('SADD', KEYS[2], unpack(ids))
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return #ids`;

/** Past the server's own BRPOP timeout, how long to wait for a reply before calling the connection dead. */
const REPLY_GRACE_MS = 5_000;

/**
 * The Redis list of DESIGN §4: enqueue is LPUSH, dequeue is BRPOP, so ids come out in FIFO order.
 * BRPOP blocks its connection, so it gets a connection of its own; enqueue, sizes and ping use
 * the other. Both reconnect by themselves (ioredis) after CLIENT KILL, a network cut or a Redis
 * restart, and a BRPOP cut off by a dropped connection is sent again once reconnected. Delivery
 * is at least once: an id popped just as the connection dies can be lost, and the requeue timer
 * finds its job again in the database.
 */
export class RedisQueue implements JobQueue {
  readonly queueKey: string;
  readonly deadKey: string;
  private readonly snapshotKeyPrefix: string;
  private readonly commands: Redis;
  private readonly blocking: Redis;
  private readonly popTurn = new DeadlineLock();
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Rejects on close(), so a command waiting in ioredis' offline queue does not wait forever. */
  private readonly whenClosed: Promise<never>;
  private rejectWaiting!: (err: Error) => void;

  constructor(private readonly options: RedisQueueOptions) {
    const prefix = options.prefix ?? 'video-jobs:';
    this.queueKey = `${prefix}queue`;
    this.deadKey = `${prefix}dead`;
    this.snapshotKeyPrefix = `${prefix}waiting:`;
    const name = (options.name ?? 'video-jobs').replace(/\s/g, '_');
    this.commands = new Redis(options.url, {
      connectionName: name,
      // During an outage a command fails after a few reconnect attempts instead of hanging.
      maxRetriesPerRequest: 3,
    });
    this.blocking = new Redis(options.url, {
      connectionName: `${name}:blocking`,
      // A BRPOP in flight when the connection drops must fail (not wait forever, not be re-sent
      // by ioredis with its original timeout); dequeue() then sends it again with the time left.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Never queue a BRPOP while disconnected: it could pop an id after its caller gave up.
      enableOfflineQueue: false,
    });
    this.watch(this.commands, 'commands');
    this.watch(this.blocking, 'blocking');
    this.whenClosed = new Promise<never>((_, reject) => (this.rejectWaiting = reject));
    // A sentinel raced against each command (see command()); it is nobody's error on its own.
    this.whenClosed.catch(() => undefined);
  }

  async enqueue(jobId: string): Promise<void> {
    await this.command(this.commands.lpush(this.queueKey, jobId));
  }

  async dequeue(timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    if (this.closed) return null;
    const release = await this.popTurn.acquire(deadline);
    if (!release) return null;
    try {
      while (!this.closed) {
        // Redis rounds BRPOP timeouts to its clock tick, and 0 would mean "forever".
        const remaining = deadline - Date.now();
        if (remaining < 10) return null;
        if (this.blocking.status !== 'ready') {
          await this.untilReady(deadline);
          continue;
        }
        try {
          return await this.brpop(remaining);
        } catch (err) {
          if (this.closed) return null;
          // Redis refused the command itself, or the failure was not a dropped connection.
          if (err instanceof ReplyError || this.blocking.status === 'ready') throw err;
          // The connection dropped under the BRPOP: ioredis reconnects; the loop waits for it.
        }
      }
      return null;
    } finally {
      release();
    }
  }

  size(): Promise<number> {
    return this.command(this.commands.llen(this.queueKey));
  }

  /**
   * Copies the list into a temporary set (`<prefix>waiting:<uuid>`, pages of 1,000 by a script),
   * then answers membership with SMISMEMBER. O(list length) once, then O(page) per question; the
   * list keeps being served meanwhile, so the snapshot is as of a moment during the copy.
   */
  async listWaiting(): Promise<WaitingSnapshot> {
    const setKey = `${this.snapshotKeyPrefix}${randomUUID()}`;
    for (let start = 0; ; start += SNAPSHOT_PAGE) {
      const copied = (await this.command(
        this.commands.eval(COPY_PAGE, 2, this.queueKey, setKey, start, start + SNAPSHOT_PAGE - 1, SNAPSHOT_TTL_S),
      )) as number;
      if (copied < SNAPSHOT_PAGE) break;
    }
    let disposed = false;
    return {
      contains: async (jobIds) => {
        if (jobIds.length === 0) return [];
        const found = await this.command(this.commands.smismember(setKey, ...jobIds));
        return found.map((n) => n === 1);
      },
      dispose: async () => {
        if (disposed) return;
        disposed = true;
        await this.command(this.commands.del(setKey));
      },
    };
  }

  async pushDead(jobId: string): Promise<void> {
    await this.command(this.commands.lpush(this.deadKey, jobId));
  }

  deadSize(): Promise<number> {
    return this.command(this.commands.llen(this.deadKey));
  }

  async ping(): Promise<void> {
    // Readiness must answer at once: do not wait in ioredis' offline queue for a reconnect.
    if (this.commands.status !== 'ready') throw new AppError(`redis is not connected (${this.commands.status})`);
    await this.command(this.commands.ping());
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.popTurn.cancel();
      // disconnect() fails a BRPOP in flight at once, so a blocked dequeue returns null now.
      this.blocking.disconnect();
      // QUIT lets commands already sent finish. While Redis is unreachable there is nothing to
      // finish: disconnect at once (queued commands fail) rather than wait for reconnect attempts.
      if (this.commands.status !== 'ready') this.commands.disconnect();
      // A QUIT cut off by the connection dropping meanwhile still leaves it closed.
      else await this.commands.quit().catch(() => this.commands.disconnect());
      // Commands answered before QUIT have settled; any still waiting for a reconnect fail now.
      this.rejectWaiting(new AppError('the queue was closed before Redis answered'));
    })();
    return this.closing;
  }

  /**
   * A command on the command connection that also ends when the queue is closed: ioredis leaves
   * commands queued while it reconnects unsettled if it is disconnected then (ioredis#2169).
   */
  private command<T>(reply: Promise<T>): Promise<T> {
    return Promise.race([reply, this.whenClosed]);
  }

  private brpop(remainingMs: number): Promise<string | null> {
    // A connection that died silently (no FIN, e.g. a network partition) never answers: past the
    // server's timeout plus a grace, drop it, which fails the BRPOP and starts a reconnect.
    const watchdog = setTimeout(() => this.blocking.disconnect(true), remainingMs + REPLY_GRACE_MS);
    return this.blocking
      .brpop(this.queueKey, (remainingMs / 1000).toFixed(3))
      .then((reply) => (reply ? reply[1] : null))
      .finally(() => clearTimeout(watchdog));
  }

  /** Resolves on the next 'ready' of the blocking connection, at the deadline, or on close. */
  private untilReady(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.blocking.off('ready', done);
        this.blocking.off('end', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
      this.blocking.once('ready', done);
      this.blocking.once('end', done);
    });
  }

  /** Reports the first error of each outage and the recovery; ioredis retries on its own meanwhile. */
  private watch(connection: Redis, role: string): void {
    let troubled = false;
    connection.on('error', (err: Error) => {
      if (troubled || this.closed) return;
      troubled = true;
      const { logger } = this.options;
      if (logger) logger.warn('redis connection lost; reconnecting', { connection: role, error: err });
      else process.emitWarning(`redis ${role} connection lost; reconnecting: ${err.message}`);
    });
    connection.on('ready', () => {
      if (!troubled) return;
      troubled = false;
      this.options.logger?.info('redis connection restored', { connection: role });
    });
  }
}
