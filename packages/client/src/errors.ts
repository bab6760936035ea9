import type { JobStatus, ProblemDetails } from './types';

/** The API answered with an error status; `problem` is its RFC 9457 body. */
export class VideoJobsApiError extends Error {
  readonly status: number;
  readonly problem: ProblemDetails;

  /** `status` is the HTTP status of the response, which wins over the body's if they differ. */
  constructor(problem: ProblemDetails, status: number = problem.status) {
    super(`${status} ${problem.title}: ${problem.detail}`);
    this.name = this.constructor.name;
    this.status = status;
    this.problem = problem;
  }

  /** 4xx: the request was wrong (bad file or parameter, unknown job, missing key); retrying will not help. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

/** The service could not be reached, or the connection broke before a complete answer. */
export class VideoJobsNetworkError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/** waitFor gave up before the job reached completed or failed; the job itself goes on. */
export class WaitTimeoutError extends Error {
  readonly jobId: string;
  readonly lastStatus: JobStatus | undefined;

  constructor(jobId: string, timeoutMs: number, lastStatus: JobStatus | undefined) {
    const state = lastStatus ? `it was still ${lastStatus.status}` : 'no status was read';
    super(`job ${jobId} did not finish within ${timeoutMs} ms (${state})`);
    this.name = this.constructor.name;
    this.jobId = jobId;
    this.lastStatus = lastStatus;
  }
}

/**
 * An API error worth retrying while polling: the server is overloaded, restarting or behind a proxy
 * hiccup. Not 507: a full disk is not freed within a retry's seconds, and each retry of a submit
 * would upload the whole file again into it.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof VideoJobsNetworkError) return true;
  if (!(err instanceof VideoJobsApiError)) return false;
  return (err.status >= 500 && err.status !== 507) || err.status === 429 || err.status === 408;
}
