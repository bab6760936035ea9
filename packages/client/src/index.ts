export * from './types';
export * from './errors';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
export * from './video-jobs-client';
