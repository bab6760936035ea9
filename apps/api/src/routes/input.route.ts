import type { Request, RequestHandler } from 'express';
import { pipeline as pipeStreams } from 'node:stream/promises';
import { NotFoundError, type JobRow, type ObjectStorage } from '@video-jobs/core';
import { parseByteRange } from './byte-range';

/**
 * GET /video/input/{job_id}: the stored upload, for the console's player. Honours one byte range
 * (206 + Content-Range), so a player seeks without fetching the whole file; a range past the end is
 * a RangeNotSatisfiableError, which the error handler answers 416 with `Content-Range: bytes *\/size`.
 * An input removed by retention answers 404 while the job and its results remain.
 */
export function inputRoute(storage: ObjectStorage, visibleJob: (req: Request) => Promise<JobRow>): RequestHandler {
  return async (req, res) => {
    const job = await visibleJob(req);
    const gone = () =>
      new NotFoundError(
        `the input of job ${job.job_id} is no longer stored (inputs are removed after INPUT_RETENTION_MS)`,
      );
    // Recorded by retention (migration 0003): no storage round trip for an input known to be gone.
    if (job.input_deleted_at) throw gone();
    let size: number;
    try {
      size = await storage.size(job.input_path);
    } catch (err) {
      // Deleted by a retention pass that has not recorded it yet.
      if (err instanceof NotFoundError) throw gone();
      throw err;
    }
    const range = parseByteRange(req.get('range'), size);
    res.set({ 'Accept-Ranges': 'bytes', 'Content-Type': 'video/mp4', 'Cache-Control': 'private, no-cache' });
    if (range) {
      res.status(206).set({
        'Content-Range': `bytes ${range.start}-${range.end}/${size}`,
        'Content-Length': String(range.end - range.start + 1),
      });
    } else {
      res.status(200).set('Content-Length', String(size));
    }
    if (req.method === 'HEAD') return void res.end();
    const body = await storage.get(job.input_path, range);
    try {
      await pipeStreams(body, res);
    } catch (err) {
      // A player drops its range request whenever it seeks: the client closing the connection is
      // the normal end of such a response, not a server error. Anything else goes to the handler.
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' && !res.writableFinished) return;
      throw err;
    }
  };
}
