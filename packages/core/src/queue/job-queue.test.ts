import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { deleteKeys, testRedisUrl, uniquePrefix } from '../test-support';
import type { JobQueue } from './job-queue';
import { MemoryQueue } from './memory.queue';
import { RedisQueue } from './redis.queue';

interface QueueUnderTest {
  queue: JobQueue;
  /** Another handle on the same queue, as a second worker process would have. */
  anotherConsumer(): JobQueue;
  cleanup(): Promise<void>;
}

/** One shared suite, two queues: the machine's Redis (a unique key prefix per test) and MemoryQueue. */
const backends: Array<[string, () => Promise<QueueUnderTest>]> = [
  [
    'RedisQueue',
    async () => {
      const url = await testRedisUrl();
      const prefix = uniquePrefix('queue');
      const handles: RedisQueue[] = [];
      const open = () => {
        const q = new RedisQueue({ url, prefix });
        handles.push(q);
        return q;
      };
      return {
        queue: open(),
        anotherConsumer: open,
        async cleanup() {
          await Promise.all(handles.map((h) => h.close()));
          await deleteKeys(url, prefix);
        },
      };
    },
  ],
  [
    'MemoryQueue',
    async () => {
      const queue = new MemoryQueue();
      return { queue, anotherConsumer: () => queue, cleanup: () => queue.close() };
    },
  ],
];

const elapsed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const start = Date.now();
  const value = await fn();
  return [value, Date.now() - start];
};

describe.each(backends)('%s', (_name, open) => {
  let subject: QueueUnderTest;
  let queue: JobQueue;

  beforeEach(async () => {
    subject = await open();
    queue = subject.queue;
  });
  afterEach(() => subject.cleanup());

  it('delivers ids in the order they were enqueued', async () => {
    for (const id of ['a', 'b', 'c', 'd']) await queue.enqueue(id);
    const out = [];
    for (let i = 0; i < 4; i++) out.push(await queue.dequeue(1000));
    expect(out).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lists what is waiting: a snapshot answers membership, and leaves nothing behind once disposed', async () => {
    for (const id of ['a', 'b', 'c']) await queue.enqueue(id);
    const snapshot = await queue.listWaiting();
    await queue.enqueue('d');
    expect(await snapshot.contains(['a', 'c', 'd', 'x'])).toEqual([true, true, false, false]);
    expect(await snapshot.contains([])).toEqual([]);
    await snapshot.dispose();
    await snapshot.dispose();
    expect(await queue.dequeue(100)).toBe('a');
  });

  it('snapshots a list longer than one copy page', async () => {
    const ids = Array.from({ length: 2_345 }, (_, i) => `id-${i}`);
    for (const id of ids) await queue.enqueue(id);
    const snapshot = await queue.listWaiting();
    try {
      expect((await snapshot.contains(ids)).every(Boolean)).toBe(true);
    } finally {
      await snapshot.dispose();
    }
  });

  it('returns null within the timeout when nothing arrives', async () => {
    const [id, ms] = await elapsed(() => queue.dequeue(300));
    expect(id).toBeNull();
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(1500);
  });

  it('wakes a blocked dequeue as soon as an id is enqueued', async () => {
    const waiting = elapsed(() => queue.dequeue(5000));
    const sent = sleep(100).then(() => queue.enqueue('wake-up'));
    const [id, ms] = await waiting;
    expect(id).toBe('wake-up');
    expect(ms).toBeLessThan(1500);
    await sent;
  });

  it('lets concurrent dequeues on one queue each time out on their own timeout', async () => {
    const results = await elapsed(() => Promise.all([queue.dequeue(300), queue.dequeue(300), queue.dequeue(300)]));
    expect(results[0]).toEqual([null, null, null]);
    expect(results[1]).toBeLessThan(1500);
  });

  it('gives each of 1000 ids to exactly one of 10 concurrent consumers', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `job-${i}`);
    const received: string[] = [];
    const consume = async (consumer: JobQueue) => {
      for (;;) {
        const id = await consumer.dequeue(1000);
        if (id === null) return;
        received.push(id);
      }
    };
    const consumers = Array.from({ length: 10 }, () => consume(subject.anotherConsumer()));
    await Promise.all(ids.map((id) => queue.enqueue(id)));
    await Promise.all(consumers);
    expect(received).toHaveLength(1000);
    expect(new Set(received).size).toBe(1000);
    expect([...received].sort()).toEqual([...ids].sort());
  });

  it('counts waiting ids and dead ids separately', async () => {
    await queue.enqueue('x');
    await queue.enqueue('y');
    await queue.pushDead('lost');
    expect(await queue.size()).toBe(2);
    expect(await queue.deadSize()).toBe(1);
    expect(await queue.dequeue(1000)).toBe('x');
    expect(await queue.size()).toBe(1);
  });

  it('returns null from a blocked dequeue promptly on close, and close can be called twice', async () => {
    const waiting = elapsed(() => queue.dequeue(10_000));
    await sleep(100);
    await Promise.all([queue.close(), queue.close()]);
    const [id, ms] = await waiting;
    expect(id).toBeNull();
    expect(ms).toBeLessThan(2000);
    expect(await queue.dequeue(1000)).toBeNull();
    await expect(queue.close()).resolves.toBeUndefined();
  });

  it('answers ping while reachable', async () => {
    // A fresh RedisQueue may still be connecting; the first command waits for it.
    await queue.size();
    await expect(queue.ping()).resolves.toBeUndefined();
  });
});

describe('RedisQueue keys', () => {
  it('keeps ids under <prefix>queue and dead ids under <prefix>dead', async () => {
    const url = await testRedisUrl();
    const prefix = uniquePrefix('keys');
    const queue = new RedisQueue({ url, prefix });
    const admin = new Redis(url);
    try {
      await queue.enqueue('one');
      await queue.pushDead('two');
      expect(await admin.lrange(`${prefix}queue`, 0, -1)).toEqual(['one']);
      expect(await admin.lrange(`${prefix}dead`, 0, -1)).toEqual(['two']);
    } finally {
      await queue.close();
      admin.disconnect();
      await deleteKeys(url, prefix);
    }
  });
});

describe('MemoryQueue', () => {
  it('holds a waiting id once however often it is enqueued, and takes it again once dequeued', async () => {
    const queue = new MemoryQueue();
    await queue.enqueue('a');
    await queue.enqueue('b');
    await queue.enqueue('a');
    expect(await queue.size()).toBe(2);
    expect(await queue.dequeue(10)).toBe('a');
    await queue.enqueue('a');
    expect(await queue.size()).toBe(2);
    expect([await queue.dequeue(10), await queue.dequeue(10), await queue.dequeue(10)]).toEqual(['b', 'a', null]);
    await queue.close();
  });
});
