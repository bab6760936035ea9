// Seeds a stack's jobs table with millions of finished jobs in SQL (INSERT ... SELECT over
// generate_series), the way history accumulates: the scale benchmarks need 2 million rows in a
// minute or two, which one INSERT per job over the network could not give.
import type pg from 'pg';

export interface SeedOptions {
  /** rows to add */
  count: number;
  /** the rows' created_at spread evenly over this many ms before now (default 3 days) */
  spanMs?: number;
  /** share of the rows that are `failed` (default 0.1); the rest are `completed` */
  failedShare?: number;
  /** rows per INSERT statement, so progress shows and no statement runs for minutes (default 250,000) */
  batch?: number;
  /** called after each batch with the rows added so far */
  onProgress?: (done: number) => void;
}

/**
 * Adds `count` finished jobs, owner null (open mode), each with the input and results keys a real
 * job has (no objects behind them), then VACUUM ANALYZE, as autovacuum would have done by the time
 * a table holds that much history. Returns the seconds it took.
 */
export async function seedFinishedJobs(pool: pg.Pool, options: SeedOptions): Promise<number> {
  const { count, spanMs = 3 * 24 * 3600_000, failedShare = 0.1, batch = 250_000, onProgress } = options;
  const started = Date.now();
  const client = await pool.connect();
  try {
    await client.query('SET synchronous_commit = off');
    for (let from = 1; from <= count; from += batch) {
      const to = Math.min(count, from + batch - 1);
      // Row i is created at now - span + i * span / count (oldest first) and finished 2 s later.
      await client.query(
        `INSERT INTO jobs (job_id, status, created_at, updated_at, input_path, output_path, error_message,
                           pipeline_id, frame_stride, attempts, locked_by)
         SELECT id, st, at, at + interval '2 seconds', 'video_jobs/' || id || '.mp4',
                CASE WHEN st = 'completed' THEN 'video_jobs/' || id || '_results.json' END,
                CASE WHEN st = 'failed' THEN 'no video stream (the file has only audio)' END,
                'yolo', 1, 1, 'worker-seed'
         FROM (SELECT gen_random_uuid() AS id,
                      CASE WHEN random() < $4 THEN 'failed' ELSE 'completed' END AS st,
                      now() - $3::double precision * interval '1 millisecond'
                            + i * ($3::double precision / $5) * interval '1 millisecond' AS at
               FROM generate_series($1::int, $2::int) AS i) AS s`,
        [from, to, spanMs, failedShare, count],
      );
      onProgress?.(to);
    }
    await client.query('VACUUM ANALYZE jobs');
  } finally {
    client.release();
  }
  return (Date.now() - started) / 1000;
}
