/**
 * Helpers for tests across the repository (`@video-jobs/core/test-support`). Not part of the
 * build: production code never imports this folder.
 */
export { dockerReachable } from './docker';
export { jobFactory, newJobFactory } from './job.factory';
export { createTestDatabase, createTestPglite, DEFAULT_TEST_DATABASE_URL, type TestDatabase } from './test-database';
export { DEFAULT_TEST_REDIS_URL, deleteKeys, testRedisUrl, uniquePrefix } from './test-redis';
export { startS3rver, type TestS3 } from './test-s3';
export { DeviceFullStorage } from './device-full.storage';
export { mountSmallFilesystem, type SmallFilesystem } from './small-filesystem';
