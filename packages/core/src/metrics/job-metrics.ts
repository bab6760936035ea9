import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobRepository } from '../jobs/job.repository';
import { JOB_STATUSES } from '../jobs/job.table';
import type { JobFinishedEvent } from '../jobs/job-worker';
import type { JobQueue } from '../queue/job-queue';

export interface JobMetrics {
  registry: Registry;
  /** Pass to JobWorker as onJobFinished. */
  /** A plain function (no `this`), so it can be handed on as a callback. */
  jobFinished: (event: JobFinishedEvent) => void;
}

/**
 * Job series shared by the API (which may run a worker in-process) and the worker daemon. Queue
 * depth and jobs by status are read when scraped, so they are never stale and cost nothing between
 * scrapes; jobs by status come from the trigger-kept job_counts (migration 0003), so a scrape costs
 * the same whatever the table's history. Each process owns its registry: no global default registry.
 */
export function createJobMetrics(
  deps: { jobs: JobRepository; queue: JobQueue },
  registry = new Registry(),
): JobMetrics {
  const finished = new Counter({
    name: 'video_jobs_finished_total',
    help: 'Jobs finished by this process, by final status and pipeline',
    labelNames: ['status', 'pipeline'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'video_jobs_job_duration_seconds',
    help: 'Time from claim to completed/failed, by pipeline',
    labelNames: ['pipeline'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
    registers: [registry],
  });
  new Gauge({
    name: 'video_jobs_queue_depth',
    help: 'Job ids waiting in the queue',
    registers: [registry],
    async collect() {
      this.set(await deps.queue.size());
    },
  });
  new Gauge({
    name: 'video_jobs_dead_list_length',
    help: 'Job ids on the dead list (failed after losing their worker too often)',
    registers: [registry],
    async collect() {
      this.set(await deps.queue.deadSize());
    },
  });
  new Gauge({
    name: 'video_jobs_jobs',
    help: 'Jobs in the database by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = await deps.jobs.countByStatus();
      for (const status of JOB_STATUSES) this.set({ status }, counts[status] ?? 0);
    },
  });
  return {
    registry,
    jobFinished: (event) => {
      finished.inc({ status: event.status, pipeline: event.pipelineId });
      duration.observe({ pipeline: event.pipelineId }, event.durationMs / 1000);
    },
  };
}
