/**
 * The few error types the service distinguishes. The API maps them to HTTP in one place
 * (apps/api error middleware); the worker treats UnsupportedMediaError as a final job failure.
 */
export class AppError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = this.constructor.name;
  }
}

/** Bad input from a client: a parameter, a missing or extra file, an id. HTTP 400. */
export class ValidationError extends AppError {}

/** The thing asked for does not exist (or is not visible to this caller). HTTP 404. */
export class NotFoundError extends AppError {}

/** The file is not a video we can decode: not an MP4, truncated, no video stream. HTTP 400 / failed job. */
export class UnsupportedMediaError extends AppError {}

/**
 * A video over MAX_VIDEO_PIXELS or MAX_VIDEO_SECONDS: readable, but more than this service takes.
 * HTTP 422 at submit; a final (not retried) failure in the worker, like any unsupported media.
 */
export class VideoLimitError extends UnsupportedMediaError {}

/** The upload is over MAX_UPLOAD_BYTES. HTTP 413. */
export class PayloadTooLargeError extends AppError {}

/** No API key, or a wrong one, while API_KEYS is set. HTTP 401. */
export class UnauthorizedError extends AppError {}

/** A storage key that could escape the storage root or is otherwise unusable. */
export class InvalidKeyError extends AppError {}

/** A byte range that starts past the end of the object (or an empty object). HTTP 416. */
export class RangeNotSatisfiableError extends AppError {
  constructor(
    message: string,
    /** The object's size, for a `Content-Range: bytes *\/<size>` answer. */
    readonly size: number,
  ) {
    super(message);
  }
}

/** An Idempotency-Key reused for a different request (another file or other parameters). HTTP 422. */
export class IdempotencyKeyReusedError extends AppError {}

/**
 * Storage cannot take the operation right now, through no fault of the request or the video: the
 * API answers 507 or 503 and keeps nothing; a worker releases the job without counting the attempt.
 */
export class StorageError extends AppError {}

/** No room: a full or over-quota disk (ENOSPC, EDQUOT), or an S3-compatible server out of space. HTTP 507. */
export class StorageFullError extends StorageError {}

/** S3 cannot be reached or asks us to back off (connection refused, timeout, 503 SlowDown). HTTP 503 + Retry-After. */
export class StorageUnavailableError extends StorageError {}
