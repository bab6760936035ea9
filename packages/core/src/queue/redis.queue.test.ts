import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../test-support';
import { RedisQueue } from './redis.queue';

/** CLIENT LIST lines of connections named `name`, as {id, cmd}. */
async function clientsNamed(admin: Redis, name: string): Promise<Array<{ id: string; cmd: string }>> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  return list
    .split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string])))
    .filter((c) => c.name === name)
    .map((c) => ({ id: c.id, cmd: c.cmd }));
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('RedisQueue on the shared Redis', () => {
  let url: string;
  let prefix: string;
  let name: string;
  let queue: RedisQueue;
  let admin: Redis;

  beforeEach(async () => {
    url = await testRedisUrl();
    prefix = uniquePrefix('redis-queue');
    name = `test-${prefix.split(':')[2]}`;
    queue = new RedisQueue({ url, prefix, name });
    admin = new Redis(url);
  });
  afterEach(async () => {
    await queue.close();
    admin.disconnect();
    await deleteKeys(url, prefix);
  });

  /** The blocking connection's id once it is blocked in BRPOP. */
  const blockedPop = () =>
    waitFor('the BRPOP connection', async () =>
      (await clientsNamed(admin, `${name}:blocking`)).find((c) => c.cmd === 'brpop'),
    );

  it('pops on a connection of its own, so other commands answer while a dequeue blocks', async () => {
    const waiting = queue.dequeue(3000);
    await blockedPop();
    const started = Date.now();
    expect(await queue.size()).toBe(0);
    expect(Date.now() - started).toBeLessThan(500);
    await queue.enqueue('after');
    expect(await waiting).toBe('after');
  });

  it('keeps a blocked dequeue working after CLIENT KILL of its connection', async () => {
    const waiting = queue.dequeue(8000);
    const victim = await blockedPop();
    expect(await admin.call('CLIENT', 'KILL', 'ID', victim.id)).toBe(1);
    // The BRPOP is sent again on a new connection, which pops what is enqueued next.
    const replacement = await blockedPop();
    expect(replacement.id).not.toBe(victim.id);
    await queue.enqueue('survivor');
    expect(await waiting).toBe('survivor');
    await queue.enqueue('next');
    expect(await queue.dequeue(2000)).toBe('next');
  });

  it('keeps enqueueing after CLIENT KILL of its command connection', async () => {
    await queue.enqueue('first');
    const [victim] = await clientsNamed(admin, name);
    await admin.call('CLIENT', 'KILL', 'ID', victim.id);
    await queue.enqueue('second');
    expect(await queue.dequeue(2000)).toBe('first');
    expect(await queue.dequeue(2000)).toBe('second');
  });

  it('shares one blocking connection among 10 concurrent dequeue loops without losing or doubling ids', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
    const received: string[] = [];
    const loop = async () => {
      for (;;) {
        const id = await queue.dequeue(1000);
        if (id === null) return;
        received.push(id);
      }
    };
    const loops = Array.from({ length: 10 }, loop);
    for (const id of ids) await queue.enqueue(id);
    await Promise.all(loops);
    expect([...received].sort()).toEqual([...ids].sort());
  });
});

const redisServer = spawnSync('redis-server', ['--version']).status === 0;

/** A private redis-server on a free loopback port, which this test may stop and start. */
class PrivateRedis {
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(p));
      });
      probe.on('error', reject);
    });
    const server = new PrivateRedis(port);
    await server.up();
    return server;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await waitFor('redis-server to answer', async () => {
      const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG' ? true : undefined;
      } catch {
        return undefined; // not listening yet
      } finally {
        // A probe that never connected is already closed; disconnect() would arm a 2 s timer.
        if (probe.status !== 'end') probe.disconnect();
      }
    });
  }

  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

(redisServer ? describe : describe.skip)('RedisQueue across a Redis restart', () => {
  let redis: PrivateRedis;
  let queue: RedisQueue;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
  });
  afterAll(async () => {
    await queue?.close();
    await redis.down();
  });

  it('closes at once while Redis is down, failing what is still queued', async () => {
    const q = new RedisQueue({ url: redis.url, prefix: 'down:' });
    await q.enqueue('x');
    await redis.down();
    // Once the queue has noticed, a new command waits in ioredis' offline queue for a reconnect.
    await waitFor('the outage to be noticed', () =>
      q.ping().then(
        () => undefined,
        () => true,
      ),
    );
    const pending = q.enqueue('y');
    const started = Date.now();
    await q.close();
    expect(Date.now() - started).toBeLessThan(500);
    // Closing fails it rather than leaving it waiting forever.
    await expect(pending).rejects.toThrow(/closed before Redis answered/);
    await redis.up();
  });

  it('returns null while Redis is down and delivers again once it is back', async () => {
    queue = new RedisQueue({ url: redis.url, prefix: 'restart:' });
    await queue.enqueue('before');
    expect(await queue.dequeue(2000)).toBe('before');

    const waiting = queue.dequeue(1500);
    await sleep(100);
    await redis.down();
    // Neither a crash nor a hang: the dequeue ends at its timeout with nothing.
    expect(await waiting).toBeNull();
    await expect(queue.ping()).rejects.toThrow(/not connected/);

    await redis.up();
    const after = queue.dequeue(10_000);
    await waitFor(
      'the queue to reconnect',
      async () =>
        (await queue.ping().then(
          () => true,
          () => false,
        ))
          ? true
          : undefined,
      10_000,
    );
    await queue.enqueue('after');
    expect(await after).toBe('after');
  });
});
