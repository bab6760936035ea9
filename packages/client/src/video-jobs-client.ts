import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { backoffDelay, DEFAULT_BACKOFF, sleep as realSleep } from './backoff';
import { isTransient, VideoJobsApiError, VideoJobsNetworkError, WaitTimeoutError } from './errors';
import { multipartFileBody } from './multipart';
import {
  isTerminal,
  type FrameResult,
  type JobList,
  type JobResults,
  type JobState,
  type JobStatus,
  type ProblemDetails,
  type SubmitResponse,
} from './types';

export interface VideoJobsClientOptions {
  /** Base URL of the service, e.g. http://localhost:8080 (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when the service has API_KEYS set. */
  apiKey?: string;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** Injected for tests of waitFor. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/** What submit accepts: a file path, a Blob, or a stream of bytes (a Node Readable or any async iterable). */
export type VideoInput = string | Blob | Readable | AsyncIterable<Uint8Array>;

export interface SubmitOptions {
  /** A registered pipeline (`yolo_ocr` by default on the server, `yolo`, `ocr`). */
  pipelineId?: string;
  /** Analyse every n-th frame (>= 1, server default 1). */
  frameStride?: number;
  /** Stop after this many analysed frames (>= 1). */
  maxFrames?: number;
  /** Name sent with the part; the server never uses it for a path or key. */
  filename?: string;
  /**
   * Sent as Idempotency-Key (a random UUID by default), so a retried submit answers the first job
   * instead of making a second one.
   */
  idempotencyKey?: string;
  /**
   * Retries after a network error or a 5xx/429, with the same key and backoff (default 3). Only a
   * path or a Blob can be sent again; a stream is sent once.
   */
  retries?: number;
  signal?: AbortSignal;
}

export interface ListJobsOptions {
  /** Only jobs in these statuses. */
  status?: JobState | JobState[];
  /** 1-100 (server default 20). */
  limit?: number;
  /** next_cursor of the previous page. */
  cursor?: string;
  signal?: AbortSignal;
}

export interface ResultsPageOptions {
  /** First frame_index wanted (default 0). */
  fromFrame?: number;
  /** Frames per page, 1-10,000 (server default 1,000). */
  limit?: number;
  signal?: AbortSignal;
}

export interface ResultsPage {
  results: JobResults;
  /** from_frame of the next page (from the Link header); null on the last page. */
  nextFromFrame: number | null;
}

export interface WaitOptions {
  /** Give up after this long (the job goes on); no limit when unset. */
  timeoutMs?: number;
  /** First polling interval (default 500 ms); doubles after each poll... */
  initialIntervalMs?: number;
  /** ...up to this (default 5 s). */
  maxIntervalMs?: number;
  /** Called after every status read. */
  onStatus?: (status: JobStatus) => void;
  /** Called when a poll fails in a way worth retrying (network, 5xx, 429). */
  onRetry?: (error: Error) => void;
  /** Consecutive transient failures tolerated before the error is thrown (default 5). */
  maxConsecutiveErrors?: number;
  /** Stops waiting (the job goes on). */
  signal?: AbortSignal;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

/** Typed client of the video-jobs HTTP API (DESIGN §2) over fetch. */
export class VideoJobsClient {
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => number;

  constructor(options: VideoJobsClientOptions) {
    const url = URL.canParse(options.baseUrl) ? new URL(options.baseUrl) : undefined;
    if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
      throw new TypeError(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    this.baseUrl = url.toString().replace(/\/+$/, '');
    this.apiKey = options.apiKey || undefined;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
  }

  /**
   * Uploads one MP4 and returns its job id at once (202). A path is sent from disk without being
   * read into memory; parameters travel in the query string so the server checks them before the
   * upload is read.
   */
  async submit(input: VideoInput, options: SubmitOptions = {}): Promise<SubmitResponse> {
    const query = new URLSearchParams();
    if (options.pipelineId !== undefined) query.set('pipeline_id', options.pipelineId);
    if (options.frameStride !== undefined) query.set('frame_stride', String(options.frameStride));
    if (options.maxFrames !== undefined) query.set('max_frames', String(options.maxFrames));
    const qs = query.size > 0 ? `?${query.toString()}` : '';

    const replayable = typeof input === 'string' || input instanceof Blob;
    const key = options.idempotencyKey ?? randomUUID();
    const retries = replayable ? (options.retries ?? 3) : 0;
    for (let attempt = 0; ; attempt++) {
      let init: RequestInit;
      if (replayable) {
        const blob = typeof input === 'string' ? await fs.openAsBlob(input, { type: 'video/mp4' }) : input;
        const form = new FormData();
        const name = options.filename ?? (typeof input === 'string' ? path.basename(input) : 'video.mp4');
        form.append('file', blob, name);
        init = { method: 'POST', body: form };
      } else {
        const mp = multipartFileBody('file', options.filename ?? 'video.mp4', 'video/mp4', input);
        init = { method: 'POST', body: mp.body, headers: { 'content-type': mp.contentType }, duplex: 'half' };
      }
      init.headers = { ...(init.headers as Record<string, string> | undefined), 'idempotency-key': key };
      try {
        const res = await this.request(`/video/submit${qs}`, { ...init, signal: options.signal });
        const body = await this.json<SubmitResponse>(res);
        if (typeof body?.job_id !== 'string') throw new VideoJobsNetworkError('submit answered without a job_id');
        return { job_id: body.job_id };
      } catch (err) {
        // The same key makes a retry safe: the server answers the job the first try created, if any.
        if (options.signal?.aborted || attempt >= retries || !isTransient(err)) throw err;
        await this.sleep(backoffDelay(attempt, DEFAULT_BACKOFF), options.signal);
      }
    }
  }

  /** GET /video/jobs: one page of the caller's jobs, newest first. */
  async listJobs(options: ListJobsOptions = {}): Promise<JobList> {
    const query = new URLSearchParams();
    for (const s of [options.status ?? []].flat()) query.append('status', s);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    const qs = query.size > 0 ? `?${query.toString()}` : '';
    return this.json<JobList>(await this.request(`/video/jobs${qs}`, { signal: options.signal }));
  }

  /** One page of a completed job's results: frames with frame_index >= fromFrame, at most limit. */
  async resultsPage(jobId: string, options: ResultsPageOptions = {}): Promise<ResultsPage> {
    const query = new URLSearchParams({ from_frame: String(options.fromFrame ?? 0) });
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    const res = await this.request(`/video/results/${encodeURIComponent(jobId)}?${query.toString()}`, {
      signal: options.signal,
    });
    const next = /<[^>]*[?&]from_frame=(\d+)[^>]*>\s*;\s*rel="next"/.exec(res.headers.get('link') ?? '');
    return { results: await this.json<JobResults>(res), nextFromFrame: next ? Number(next[1]) : null };
  }

  /** Every frame of a completed job's results, page by page (memory holds one page). */
  async *resultFrames(jobId: string, options: ResultsPageOptions = {}): AsyncGenerator<FrameResult> {
    let fromFrame: number | null = options.fromFrame ?? 0;
    while (fromFrame !== null) {
      const page: ResultsPage = await this.resultsPage(jobId, { ...options, fromFrame });
      yield* page.results.results;
      fromFrame = page.nextFromFrame;
    }
  }

  /** GET /video/status/{id}. An unknown id is a VideoJobsApiError with status 404. */
  async status(jobId: string, options: RequestOptions = {}): Promise<JobStatus> {
    return this.json<JobStatus>(await this.request(`/video/status/${encodeURIComponent(jobId)}`, options));
  }

  /** GET /video/results/{id}, parsed. 404 (VideoJobsApiError) while the job is not completed. */
  async results(jobId: string, options: RequestOptions = {}): Promise<JobResults> {
    return this.json<JobResults>(await this.resultsResponse(jobId, options));
  }

  /** The results body as a byte stream, for results too large to parse at once. */
  async resultsStream(jobId: string, options: RequestOptions = {}): Promise<Readable> {
    const res = await this.resultsResponse(jobId, options);
    if (!res.body) return Readable.from([]);
    return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  }

  /**
   * Streams the results into `destination`, through a temporary name renamed at the end, so a broken
   * download never leaves a half file under the real name. Returns the number of bytes written.
   */
  async downloadResults(jobId: string, destination: string, options: RequestOptions = {}): Promise<number> {
    const source = await this.resultsStream(jobId, options);
    const tmp = `${destination}.${process.pid}.${Date.now()}.part`;
    const out = fs.createWriteStream(tmp);
    try {
      await pipeline(source, out);
      await fs.promises.rename(tmp, destination);
    } catch (err) {
      // a write stream opens its file lazily: wait for it to close, or a download that broke at once
      // lets that open land after the rm and leaves the .part file behind
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await fs.promises.rm(tmp, { force: true });
      // a local file error (EACCES, ENOSPC) stays what it is; anything else broke the download
      throw (err as NodeJS.ErrnoException).syscall ? err : toNetworkError(err, `downloading results of ${jobId}`);
    }
    return out.bytesWritten;
  }

  /**
   * Polls the job's status, with exponential backoff, until it is completed or failed, and returns
   * that status (a failed job is a value, not an exception). Transient errors are retried; a
   * WaitTimeoutError ends a wait that outlives `timeoutMs`.
   */
  async waitFor(jobId: string, options: WaitOptions = {}): Promise<JobStatus> {
    const backoff = {
      ...DEFAULT_BACKOFF,
      initialMs: options.initialIntervalMs ?? DEFAULT_BACKOFF.initialMs,
      maxMs: options.maxIntervalMs ?? DEFAULT_BACKOFF.maxMs,
    };
    const maxErrors = options.maxConsecutiveErrors ?? 5;
    const deadline = options.timeoutMs === undefined ? Infinity : this.now() + options.timeoutMs;
    let last: JobStatus | undefined;
    let errors = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        last = await this.status(jobId, { signal: options.signal });
        errors = 0;
        options.onStatus?.(last);
        if (isTerminal(last.status)) return last;
      } catch (err) {
        if (options.signal?.aborted || !isTransient(err) || ++errors > maxErrors) throw err;
        options.onRetry?.(err as Error);
      }
      const left = deadline - this.now();
      if (left <= 0) throw new WaitTimeoutError(jobId, options.timeoutMs ?? 0, last);
      await this.sleep(Math.min(backoffDelay(attempt, backoff), left), options.signal);
    }
  }

  private resultsResponse(jobId: string, options: RequestOptions): Promise<Response> {
    return this.request(`/video/results/${encodeURIComponent(jobId)}`, options);
  }

  private async request(route: string, init: RequestInit): Promise<Response> {
    const url = `${this.baseUrl}${route}`;
    const headers = new Headers(init.headers);
    headers.set('accept', 'application/json, application/problem+json');
    if (this.apiKey) headers.set('authorization', `Bearer ${this.apiKey}`);
    let res: Response;
    try {
      res = await this.fetchImpl(url, { ...init, headers });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw toNetworkError(err, `${init.method ?? 'GET'} ${url}`);
    }
    if (!res.ok) throw new VideoJobsApiError(await readProblem(res), res.status);
    return res;
  }

  private async json<T>(res: Response): Promise<T> {
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw toNetworkError(err, `reading ${res.url || 'the response'}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new VideoJobsNetworkError(`expected JSON from ${res.url || 'the service'}, got: ${text.slice(0, 200)}`);
    }
  }
}

function toNetworkError(err: unknown, what: string): Error {
  if (err instanceof VideoJobsApiError || err instanceof VideoJobsNetworkError) return err;
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const why = e.cause?.code ?? e.cause?.message ?? e.message;
  return new VideoJobsNetworkError(`${what} failed: ${why}`, { cause: err });
}

/** The error body as problem details; a body that is not one (a proxy's page) becomes one. */
async function readProblem(res: Response): Promise<ProblemDetails> {
  const text = await res.text().catch(() => '');
  try {
    const p = JSON.parse(text) as Partial<ProblemDetails>;
    if (p && typeof p === 'object' && (typeof p.detail === 'string' || typeof p.title === 'string')) {
      return {
        type: typeof p.type === 'string' ? p.type : 'about:blank',
        title: typeof p.title === 'string' ? p.title : res.statusText || 'Error',
        status: typeof p.status === 'number' ? p.status : res.status,
        detail: typeof p.detail === 'string' ? p.detail : '',
      };
    }
  } catch {
    // not JSON: fall through
  }
  return {
    type: 'about:blank',
    title: res.statusText || 'Error',
    status: res.status,
    detail: text.trim().slice(0, 500) || `HTTP ${res.status} with an empty body`,
  };
}
