/**
 * The OpenAPI 3.1 description of the HTTP API: served at /openapi.json, rendered at /docs, and the
 * schema the API tests validate real responses against, so it cannot drift from the code.
 */
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const jobIdParam = {
  name: 'job_id',
  in: 'path',
  required: true,
  description: 'The id returned by POST /video/submit',
  schema: { type: 'string' },
};

/** Any route: Node's HTTP server refuses a request it cannot parse before the app sees it. */
const unparsable = {
  description: 'The request could not be parsed (answered by the HTTP server itself, e.g. 431 for headers too large)',
};

const unavailable = () =>
  problemResponse(
    'The database or the S3 storage cannot be reached right now (a restart, an outage); retry after Retry-After seconds',
  );

const timestamps = {
  created_at: { type: 'string', format: 'date-time' },
  updated_at: { type: 'string', format: 'date-time' },
};

const box = {
  type: 'array',
  items: { type: 'number' },
  minItems: 4,
  maxItems: 4,
  description: '[x1, y1, x2, y2] in source-video pixels',
};

/** The document for this deployment's registered pipelines (the registry is the one list of them). */
export const buildOpenApiDocument = (pipelineIds: readonly string[], defaultPipeline: string) => ({
  openapi: '3.1.0',
  info: {
    title: 'video-jobs',
    version: '0.1.0',
    description:
      'Upload an MP4, get a job id at once, poll its status, and fetch per-frame results (YOLO detections and OCR text) when it is done.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: '/', description: 'This server' }],
  components: {
    securitySchemes: {
      apiKey: {
        type: 'http',
        scheme: 'bearer',
        description: 'Needed when the server sets API_KEYS: `Authorization: Bearer <key>`',
      },
      apiKeyHeader: {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: 'The same key as `X-API-Key: <key>`',
      },
    },
    schemas: {
      Problem: {
        type: 'object',
        description: 'RFC 9457 problem details',
        required: ['type', 'title', 'status', 'detail'],
        additionalProperties: false,
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
        },
      },
      SubmitAccepted: {
        type: 'object',
        required: ['job_id'],
        additionalProperties: false,
        properties: { job_id: { type: 'string', format: 'uuid' } },
      },
      JobStatus: {
        type: 'object',
        required: ['job_id', 'status', 'progress', 'created_at', 'updated_at'],
        additionalProperties: false,
        properties: {
          job_id: { type: 'string', format: 'uuid' },
          status: { type: 'string', enum: ['pending', 'running', 'completed', 'failed'] },
          progress: {
            type: 'number',
            enum: [0, 0.5, 1],
            description: 'Coarse: 0 pending, 0.5 running, 1 completed or failed',
          },
          ...timestamps,
          error_message: { type: 'string', description: 'Present only when status is failed' },
        },
      },
      JobListEntry: {
        type: 'object',
        description: 'The status body of a job plus its pipeline',
        required: ['job_id', 'status', 'progress', 'created_at', 'updated_at', 'pipeline_id'],
        additionalProperties: false,
        properties: {
          job_id: { type: 'string', format: 'uuid' },
          status: { type: 'string', enum: ['pending', 'running', 'completed', 'failed'] },
          progress: { type: 'number', enum: [0, 0.5, 1] },
          ...timestamps,
          error_message: { type: 'string', description: 'Present only when status is failed' },
          pipeline_id: { type: 'string' },
        },
      },
      JobList: {
        type: 'object',
        required: ['jobs', 'next_cursor'],
        additionalProperties: false,
        properties: {
          jobs: { type: 'array', items: { $ref: '#/components/schemas/JobListEntry' }, description: 'Newest first' },
          next_cursor: {
            type: ['string', 'null'],
            description: 'Pass as `cursor` for the next page; null on the last page',
          },
        },
      },
      Detection: {
        type: 'object',
        required: ['label', 'class_id', 'confidence', 'box'],
        additionalProperties: false,
        properties: {
          label: { type: 'string' },
          class_id: { type: 'integer' },
          confidence: { type: 'number' },
          box,
          track_id: {
            type: 'integer',
            minimum: 1,
            description:
              'yolo_track and yolo_ocr: the same id for the same object across the sampled frames of a job; never reused within a job',
          },
        },
      },
      TextLine: {
        type: 'object',
        required: ['text', 'confidence', 'box'],
        additionalProperties: false,
        properties: { text: { type: 'string' }, confidence: { type: 'number' }, box },
      },
      FrameResult: {
        type: 'object',
        required: ['frame_index', 'result'],
        additionalProperties: false,
        properties: {
          frame_index: { type: 'integer', minimum: 0, description: '0-based index of the frame in the source video' },
          result: {
            type: 'object',
            required: ['timestamp_ms'],
            additionalProperties: false,
            description:
              'yolo_ocr: detections (with track_id) and text; yolo: detections; yolo_track: detections with track_id; ocr: text',
            properties: {
              timestamp_ms: { type: 'number' },
              detections: { type: 'array', items: { $ref: '#/components/schemas/Detection' } },
              text: { type: 'array', items: { $ref: '#/components/schemas/TextLine' } },
            },
          },
        },
      },
      JobResults: {
        type: 'object',
        required: ['job_id', 'results', 'created_at', 'updated_at'],
        additionalProperties: false,
        properties: {
          job_id: { type: 'string', format: 'uuid' },
          results: { type: 'array', items: { $ref: '#/components/schemas/FrameResult' } },
          ...timestamps,
        },
      },
    },
  },
  security: [{ apiKey: [] }, { apiKeyHeader: [] }, {}],
  paths: {
    '/video/submit': {
      post: {
        summary: 'Submit an MP4 for analysis',
        operationId: 'submitVideo',
        parameters: [
          {
            name: 'pipeline_id',
            in: 'query',
            schema: { type: 'string', default: defaultPipeline, enum: [...pipelineIds] },
          },
          { name: 'frame_stride', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
          { name: 'max_frames', in: 'query', schema: { type: 'integer', minimum: 1 } },
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description:
              'Send the same key to retry a submit safely: within RETENTION_MS the same caller, file and parameters get the original answer; other file or parameters get 422.',
            schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7e]+$' },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['file'],
                properties: {
                  file: { type: 'string', format: 'binary', description: 'The MP4 video' },
                  pipeline_id: { type: 'string', default: defaultPipeline, enum: [...pipelineIds] },
                  frame_stride: { type: 'integer', minimum: 1 },
                  max_frames: { type: 'integer', minimum: 1 },
                },
              },
            },
          },
        },
        responses: {
          '202': {
            description: 'Accepted; poll the Location',
            headers: {
              Location: { schema: { type: 'string' }, description: '/video/status/{job_id}' },
              'Idempotent-Replayed': {
                schema: { type: 'string', const: 'true' },
                description: 'Present when this answers an earlier submit with the same Idempotency-Key',
              },
            },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/SubmitAccepted' } } },
          },
          '400': problemResponse(
            'No file, several files, not an MP4, empty file, unknown pipeline, bad parameter or bad Idempotency-Key',
          ),
          '401': problemResponse('API keys are configured and the request has none or a wrong one'),
          '413': problemResponse('The file is over MAX_UPLOAD_BYTES'),
          '422': problemResponse(
            'The Idempotency-Key was already used with a different file or parameters; or the video is over MAX_VIDEO_PIXELS (frame size) or MAX_VIDEO_SECONDS (duration): the detail says which',
          ),
          '503': {
            ...problemResponse(
              'The database or the S3 storage cannot be reached right now (a restart, an outage, S3 answering 503 SlowDown); nothing was kept: retry after Retry-After seconds',
            ),
            headers: {
              'Retry-After': {
                schema: { type: 'integer', minimum: 1 },
                description: 'Seconds to wait before retrying',
              },
            },
          },
          '507': problemResponse(
            'The storage has no room for the upload (a full or over-quota disk, ENOSPC or EDQUOT; an S3-compatible server out of space); nothing was kept: submit again once space has been freed',
          ),
        },
      },
    },
    '/video/jobs': {
      get: {
        summary: "List the caller's jobs, newest first",
        operationId: 'listJobs',
        parameters: [
          {
            name: 'status',
            in: 'query',
            required: false,
            description: 'Only jobs in these statuses; repeat the parameter for several',
            style: 'form',
            explode: true,
            schema: { type: 'array', items: { type: 'string', enum: ['pending', 'running', 'completed', 'failed'] } },
          },
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
          {
            name: 'cursor',
            in: 'query',
            required: false,
            description: 'The next_cursor of the previous page (opaque)',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'A page of jobs',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/JobList' } } },
          },
          '400': problemResponse('A bad status, limit or cursor'),
          '401': problemResponse('Missing or wrong API key'),
          '503': unavailable(),
        },
      },
    },
    '/video/status/{job_id}': {
      get: {
        summary: 'Get the status of a job',
        operationId: 'getJobStatus',
        parameters: [jobIdParam],
        responses: {
          '200': {
            description: 'The job',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/JobStatus' } } },
          },
          '401': problemResponse('Missing or wrong API key'),
          '404': problemResponse('Unknown or malformed id, or a job of another key'),
          '503': unavailable(),
        },
      },
    },
    '/video/results/{job_id}': {
      get: {
        summary: 'Get the per-frame results of a completed job',
        operationId: 'getJobResults',
        parameters: [
          jobIdParam,
          {
            name: 'from_frame',
            in: 'query',
            required: false,
            description:
              'Page from the first frame with frame_index >= this (with limit: one page; without either: everything)',
            schema: { type: 'integer', minimum: 0 },
          },
          {
            name: 'limit',
            in: 'query',
            required: false,
            description: 'Frames per page',
            schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
          },
        ],
        responses: {
          '200': {
            description: 'Results in frame order (a page of them when from_frame or limit is given)',
            headers: {
              Link: {
                schema: { type: 'string' },
                description: 'RFC 8288 `<…?from_frame=N&limit=M>; rel="next"` while more frames remain',
              },
            },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/JobResults' } } },
          },
          '400': problemResponse('A bad from_frame or limit'),
          '401': problemResponse('Missing or wrong API key'),
          '404': problemResponse('Unknown job, or the job is not completed (the detail gives its status)'),
          '503': unavailable(),
        },
      },
    },
    '/video/input/{job_id}': {
      get: {
        summary: 'Get the uploaded video, whole or one byte range (for players that seek)',
        operationId: 'getJobInput',
        parameters: [
          jobIdParam,
          {
            name: 'Range',
            in: 'header',
            required: false,
            description:
              'One byte range: `bytes=0-1023`, `bytes=1024-` or `bytes=-500` (the last 500). Several ranges or a malformed value get the whole file.',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'The whole upload',
            headers: { 'Accept-Ranges': { schema: { type: 'string', const: 'bytes' } } },
            content: { 'video/mp4': { schema: { type: 'string', contentMediaType: 'video/mp4' } } },
          },
          '206': {
            description: 'The bytes of the range',
            headers: { 'Content-Range': { schema: { type: 'string' }, description: 'bytes <start>-<end>/<size>' } },
            content: { 'video/mp4': { schema: { type: 'string', contentMediaType: 'video/mp4' } } },
          },
          '401': problemResponse('Missing or wrong API key'),
          '404': problemResponse('Unknown job, a job of another key, or an input no longer stored (retention)'),
          '416': {
            ...problemResponse('The range starts at or past the end of the file'),
            headers: { 'Content-Range': { schema: { type: 'string' }, description: 'bytes */<size>' } },
          },
          '503': unavailable(),
        },
      },
    },
    '/healthz': {
      get: {
        summary: 'Liveness',
        operationId: 'getHealth',
        security: [],
        responses: { '200': { description: 'The process is alive' }, '4XX': unparsable },
      },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: database, queue and storage reachable, and local storage above MIN_FREE_BYTES free',
        operationId: 'getReadiness',
        security: [],
        responses: {
          '200': { description: 'Ready' },
          '4XX': unparsable,
          '503': problemResponse('Names what is unreachable, or how little space local storage has left'),
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        operationId: 'getMetrics',
        security: [],
        responses: { '200': { description: 'Prometheus text format' }, '4XX': unparsable },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        operationId: 'getOpenApiDocument',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1' }, '4XX': unparsable },
      },
    },
  },
});
