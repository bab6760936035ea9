/** Talks to the API: adds the key as X-API-Key, brings the key prompt back on 401, reads problem details. */
import { askForKey, keyStore } from './key';

export type JobStatus = 'pending' | 'running' | 'completed' | 'failed';

export interface Job {
  job_id: string;
  status: JobStatus;
  progress: number;
  created_at: string;
  updated_at: string;
  error_message?: string;
  pipeline_id?: string;
}

export interface JobPage {
  jobs: Job[];
  next_cursor: string | null;
}

export type Box = [number, number, number, number];
export interface Detection {
  label: string;
  class_id: number;
  confidence: number;
  box: Box;
}
export interface TextLine {
  text: string;
  confidence: number;
  box: Box;
}
export interface FrameResult {
  frame_index: number;
  result: { timestamp_ms: number; detections?: Detection[]; text?: TextLine[] };
}
export interface Results {
  job_id: string;
  results: FrameResult[];
  created_at: string;
  updated_at: string;
}

/** An error answer, with the problem detail's words for the person at the screen. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export async function problemOf(status: number, text: string): Promise<ApiError> {
  try {
    const body = JSON.parse(text) as { detail?: string; title?: string };
    return new ApiError(status, body.detail ?? body.title ?? `HTTP ${status}`);
  } catch {
    return new ApiError(status, `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
}

export function authHeaders(): Record<string, string> {
  const key = keyStore.get();
  return key ? { 'X-API-Key': key } : {};
}

/** fetch with the key; a 401 asks for a key (saying the last one was refused) and tries again. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const res = await fetch(path, {
      ...init,
      headers: { ...authHeaders(), ...(init.headers as Record<string, string>) },
    });
    if (res.status !== 401) return res;
    const detail = (await problemOf(401, await res.text())).message;
    await askForKey(keyStore.get() ? `The key was refused: ${detail}` : 'This service needs an API key.');
  }
}

async function json<T>(path: string): Promise<T> {
  const res = await request(path);
  const text = await res.text();
  if (!res.ok) throw await problemOf(res.status, text);
  return JSON.parse(text) as T;
}

export const listJobs = (cursor: string | null, limit = 20) =>
  json<JobPage>(`/video/jobs?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);

export const jobStatus = (id: string) => json<Job>(`/video/status/${encodeURIComponent(id)}`);

/** The results and their text as served, so the download is the very bytes the API sent. */
export async function jobResults(id: string): Promise<{ body: Results; text: string }> {
  const res = await request(`/video/results/${encodeURIComponent(id)}`);
  const text = await res.text();
  if (!res.ok) throw await problemOf(res.status, text);
  return { body: JSON.parse(text) as Results, text };
}

/** Pipeline ids as the API's OpenAPI document lists them (the submit form's choices). */
export async function pipelineIds(): Promise<{ ids: string[]; fallback: string }> {
  try {
    const doc = (await (await fetch('/openapi.json')).json()) as {
      paths: Record<string, { post: { parameters: unknown } }>;
    };
    const params = doc.paths['/video/submit'].post.parameters as {
      name: string;
      schema: { enum?: string[]; default?: string };
    }[];
    const p = params.find((x) => x.name === 'pipeline_id');
    if (p?.schema.enum?.length) return { ids: p.schema.enum, fallback: p.schema.default ?? p.schema.enum[0] };
  } catch {
    // The document is optional to the form: fall through to the pipelines every release has.
  }
  return { ids: ['yolo_ocr', 'yolo', 'ocr'], fallback: 'yolo_ocr' };
}

export type SubmitParams = { pipeline_id: string; frame_stride?: string; max_frames?: string };

/**
 * POST /video/submit through XMLHttpRequest, the one browser API that reports upload progress.
 * A 401 asks for a key and sends the file again.
 */
export async function submitJob(
  file: File,
  params: SubmitParams,
  onProgress: (fraction: number) => void,
): Promise<string> {
  for (;;) {
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/video/submit');
      for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      };
      xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
      xhr.onerror = () => reject(new ApiError(0, 'the upload failed: the connection to the service broke'));
      const form = new FormData();
      for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') form.append(k, v);
      form.append('file', file, file.name);
      xhr.send(form);
    });
    if (status === 202) return (JSON.parse(text) as { job_id: string }).job_id;
    if (status !== 401) throw await problemOf(status, text);
    await askForKey(
      keyStore.get()
        ? `The key was refused: ${(await problemOf(401, text)).message}`
        : 'This service needs an API key.',
    );
  }
}
