/**
 * The worker side of `pnpm test:fuzz`: the real JobWorker of the embedded default (PGlite in a
 * scratch DATA_DIR, local storage) with the real pipeline, fed one corpus file at a time by the
 * runner over IPC. Each file becomes a job that goes through claim, download, the pipeline, the
 * results upload and complete/fail, exactly as in `node apps/worker`. The runner kills this
 * process (and its ffmpeg) when a file overruns its bound, and reads an unexpected exit as a crash.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  createCoreServices,
  createLogger,
  inputKey,
  JobWorker,
  jobWorkerOptionsFromConfig,
  loadConfig,
  pipelineOptionsFromConfig,
  resultsKey,
  type FrameResult,
  type PipelineParams,
  type VideoPipeline,
} from '@video-jobs/core';
import { createPipelineService } from '@video-jobs/pipeline';
import type { ChildMessage, RunRequest } from './protocol';

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Counts the frames the pipeline yields and tells the runner about each. */
class CountingPipeline implements VideoPipeline {
  frames = 0;

  constructor(private readonly inner: VideoPipeline) {}

  async *runOnFile(file: string, params: PipelineParams, signal?: AbortSignal): AsyncIterable<FrameResult> {
    for await (const frame of this.inner.runOnFile(file, params, signal)) {
      this.frames++;
      send({ type: 'frame', frames: this.frames });
      yield frame;
    }
  }

  pipelineIds(): readonly string[] {
    return this.inner.pipelineIds();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig({ ...process.env, DATABASE_URL: '', REDIS_URL: '', STORAGE: 'local' });
  // The worker's log lines, kept so an unexpected attempt error can be reported with its file.
  let attemptError: string | undefined;
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as { message?: string; error?: unknown };
          // The unexpected error of an attempt, or the stall watchdog's abort (issue 16).
          if (entry.message === 'job attempt failed unexpectedly' || /no progress/i.test(entry.message ?? '')) {
            attemptError =
              typeof entry.error === 'string'
                ? entry.error
                : entry.error === undefined
                  ? entry.message
                  : JSON.stringify(entry.error);
          }
        } catch {
          // not JSON: ignore
        }
      }
      if (process.env.FUZZ_VERBOSE) process.stderr.write(chunk);
      done();
    },
  });
  const logger = createLogger(config.LOG_LEVEL, { stream: logStream });
  const services = await createCoreServices(config, logger);
  const pipeline = new CountingPipeline(await createPipelineService(pipelineOptionsFromConfig(config)));
  const tmpDir = path.join(config.DATA_DIR, 'tmp');
  const worker = new JobWorker({ ...services, pipeline, logger }, jobWorkerOptionsFromConfig(config, tmpDir));

  process.on('message', (msg: RunRequest) => {
    void (async () => {
      attemptError = undefined;
      pipeline.frames = 0;
      const jobId = randomUUID();
      const input = inputKey(jobId);
      await services.storage.put(input, fs.createReadStream(msg.file));
      await services.jobs.create({
        job_id: jobId,
        status: 'pending',
        input_path: input,
        pipeline_id: msg.pipelineId,
        frame_stride: msg.frameStride,
        max_frames: msg.maxFrames,
      });
      const outcome = await worker.processJob(jobId);
      const row = await services.jobs.get(jobId);
      await services.storage.delete(input).catch(() => undefined);
      await services.storage.delete(resultsKey(jobId)).catch(() => undefined);
      send({
        type: 'result',
        outcome,
        status: row?.status,
        errorMessage: row?.error_message ?? null,
        attemptError,
        frames: pipeline.frames,
        rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      });
    })().catch((err: unknown) =>
      send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', startMs: Date.now() - started });
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz worker failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
