/**
 * Response shapes of the video-jobs HTTP API, taken from the types `pnpm client:types` generates from
 * the OpenAPI document (openapi-types.ts), so the client cannot drift from the server.
 */
import type { components } from './openapi-types';

type Schemas = components['schemas'];

export type JobState = Schemas['JobStatus']['status'];

/** GET /video/status/{job_id}. `progress` is coarse: 0.0 pending, 0.5 running, 1.0 completed or failed. */
export type JobStatus = Schemas['JobStatus'];

/** One entry of GET /video/jobs: the status body plus the pipeline. */
export type JobListEntry = Schemas['JobListEntry'];

/** GET /video/jobs: a page of the caller's jobs, newest first. */
export type JobList = Schemas['JobList'];

/** POST /video/submit (202). */
export type SubmitResponse = Schemas['SubmitAccepted'];

export type Detection = Schemas['Detection'];
export type Box = Detection['box'];
export type TextLine = Schemas['TextLine'];

/** One analysed frame; which keys are present depends on the pipeline. */
export type FrameResult = Schemas['FrameResult'];
export type FrameAnalysis = FrameResult['result'];

/** GET /video/results/{job_id} for a completed job (or one page of it). */
export type JobResults = Schemas['JobResults'];

/** RFC 9457 problem details: the body of every error response. */
export type ProblemDetails = Schemas['Problem'];

export const TERMINAL_STATES: readonly JobState[] = ['completed', 'failed'];

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}
