export * from './config';
export * from './errors';
export * from './db/database';
export * from './jobs/job.table';
export * from './jobs/job.repository';
export * from './jobs/video-pipeline';
export * from './storage/object-storage';
export * from './queue/job-queue';
