import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const int = (def: number, min = 1) => z.coerce.number().int().min(min).default(def);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Every environment variable the service reads (DESIGN §8), with its default and rule. */
const schema = z
  .object({
    PORT: int(8080, 0).pipe(z.number().max(65535)),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: optionalString,
    REDIS_URL: optionalString,
    QUEUE_PREFIX: z.string().min(1).default('video-jobs:'),
    STORAGE: z.enum(['local', 's3']).default('local'),
    S3_BUCKET: optionalString.pipe(z.string().min(3, 'must be at least 3 characters').optional()),
    S3_ENDPOINT: optionalString.pipe(z.url().optional()),
    S3_REGION: z.string().min(1).default('us-east-1'),
    MODEL_PATH: z.string().min(1).default('./models/yolox_nano.onnx'),
    MIN_CONFIDENCE: z.coerce.number().gt(0).lt(1).default(0.35),
    OCR_ENGINE: z.enum(['paddle', 'tesseract']).default('paddle'),
    OCR_MIN_CONFIDENCE: z.coerce.number().min(0).max(1).optional(),
    TRACK_MAX_MISSED_FRAMES: int(30, 0).pipe(z.number().max(10_000)),
    MAX_UPLOAD_BYTES: int(2 * 1024 ** 3),
    API_KEYS: optionalString,
    // The address the API listens on; unset: loopback while API_KEYS is unset, else every interface.
    API_BIND: optionalString,
    WORKER_ID: optionalString,
    WORKER_CONCURRENCY: int(1).pipe(z.number().max(64)),
    HEARTBEAT_MS: int(10_000, 10),
    LEASE_MS: int(60_000, 100),
    REAP_INTERVAL_MS: int(15_000, 10),
    REQUEUE_MS: int(30_000, 100),
    MAX_ATTEMPTS: int(3),
    SHUTDOWN_GRACE_MS: int(30_000, 0),
    // An attempt whose download or pipeline moves nothing for this long is aborted (issue 16).
    STALL_MS: int(120_000, 100),
    // 7680x4320 (8K UHD) and 6 hours (AWS Rekognition Video's limit).
    MAX_VIDEO_PIXELS: int(7680 * 4320, 256),
    MAX_VIDEO_SECONDS: int(6 * 3600),
    RETENTION_MS: int(7 * 24 * 3600 * 1000, 0),
    // Unset follows RETENTION_MS; 0 drops an input as soon as its job is finished.
    INPUT_RETENTION_MS: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
      z.coerce.number().int().min(0).optional(),
    ),
    MIN_FREE_BYTES: int(1024 ** 3, 0),
    METRICS_PORT: int(9464, 0).pipe(z.number().max(65535)),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.STORAGE === 's3' && !c.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'is required when STORAGE=s3' });
    }
    if (c.HEARTBEAT_MS >= c.LEASE_MS) {
      ctx.addIssue({ code: 'custom', path: ['HEARTBEAT_MS'], message: 'must be shorter than LEASE_MS' });
    }
    // An input outliving its row would be an orphan nothing deletes.
    if (c.INPUT_RETENTION_MS !== undefined && c.RETENTION_MS > 0 && c.INPUT_RETENTION_MS > c.RETENTION_MS) {
      ctx.addIssue({ code: 'custom', path: ['INPUT_RETENTION_MS'], message: 'must not be longer than RETENTION_MS' });
    }
  });

type Parsed = z.infer<typeof schema>;

export interface Config extends Readonly<Omit<Parsed, 'API_KEYS' | 'API_BIND' | 'WORKER_ID' | 'INPUT_RETENTION_MS'>> {
  /** Parsed from the comma-separated API_KEYS; empty means the API is open. */
  readonly API_KEYS: readonly string[];
  /**
   * Where the API listens: API_BIND when set, else 127.0.0.1 while API_KEYS is empty (an open API is
   * reachable from this machine only: closed by default), else null, every interface (Node's default).
   */
  readonly API_BIND: string | null;
  readonly WORKER_ID: string;
  /** DATA_DIR and MODEL_PATH are made absolute (relative to the working directory). */
  readonly DATA_DIR: string;
  readonly MODEL_PATH: string;
  /** Milliseconds after a job finishes that its input is deleted; null keeps inputs (RETENTION_MS=0, unset). */
  readonly INPUT_RETENTION_MS: number | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/**
 * Parses and validates the environment once, at start. The error names every bad variable
 * and its rule, so a misconfigured process stops before it serves anything.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${String(i.path[0] ?? '?')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  const apiKeys = (c.API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  return Object.freeze({
    ...c,
    DATA_DIR: path.resolve(c.DATA_DIR),
    MODEL_PATH: path.resolve(c.MODEL_PATH),
    API_KEYS: apiKeys,
    API_BIND: c.API_BIND ?? (apiKeys.length > 0 ? null : '127.0.0.1'),
    WORKER_ID: c.WORKER_ID ?? `${os.hostname()}:${process.pid}`,
    INPUT_RETENTION_MS: c.INPUT_RETENTION_MS ?? (c.RETENTION_MS > 0 ? c.RETENTION_MS : null),
  });
}
