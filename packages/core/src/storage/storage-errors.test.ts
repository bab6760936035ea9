import { StorageFullError, StorageUnavailableError } from '../errors';
import { localWriteError, s3Error, transferError } from './storage-errors';

const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });
const s3 = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe(localWriteError.name, () => {
  it('names a full disk and an exhausted quota, keeping the errno error as the cause', () => {
    const full = localWriteError(errno('ENOSPC'), 'video_jobs/a.mp4');
    expect(full).toBeInstanceOf(StorageFullError);
    expect((full as Error).message).toBe('no space left on the storage device (ENOSPC) while writing video_jobs/a.mp4');
    expect((full as Error).cause).toMatchObject({ code: 'ENOSPC' });
    const quota = localWriteError(errno('EDQUOT'), 'video_jobs/a.mp4');
    expect(quota).toBeInstanceOf(StorageFullError);
    expect((quota as Error).message).toBe('the storage disk quota is used up (EDQUOT) while writing video_jobs/a.mp4');
  });

  it('leaves every other error as it was', () => {
    const other = errno('EACCES');
    expect(localWriteError(other, 'k')).toBe(other);
  });
});

describe(s3Error.name, () => {
  it.each([
    ['a refused connection', errno('ECONNREFUSED'), 'ECONNREFUSED'],
    ['a reset connection', errno('ECONNRESET'), 'ECONNRESET'],
    [
      'a refused connection on every address',
      Object.assign(new AggregateError([errno('ECONNREFUSED')]), {}),
      'ECONNREFUSED',
    ],
    ['503 SlowDown', s3('SlowDown', 503), 'SlowDown 503'],
    ['a timeout', Object.assign(new Error('t'), { name: 'TimeoutError' }), 'TimeoutError'],
    ['a 502 from a proxy', s3('UnknownError', 502), 'UnknownError 502'],
    [
      'a cross-realm error the SDK kept as text',
      new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1'),
      'ECONNREFUSED',
    ],
  ])('names %s as unavailable', (_what, err, why) => {
    const named = s3Error(err, 'writing k');
    expect(named).toBeInstanceOf(StorageUnavailableError);
    expect((named as Error).message).toBe(`S3 storage is unavailable (${why}) while writing k`);
  });

  it('names a server out of space (MinIO XMinioStorageFull, 507) as full', () => {
    expect(s3Error(s3('XMinioStorageFull', 507), 'writing k')).toBeInstanceOf(StorageFullError);
  });

  it('leaves the request errors (404, 403, 400) as they were', () => {
    for (const err of [s3('NoSuchKey', 404), s3('AccessDenied', 403), s3('InvalidArgument', 400)]) {
      expect(s3Error(err, 'writing k')).toBe(err);
    }
  });
});

describe(transferError.name, () => {
  it('names a full temp disk and a lost download connection', () => {
    expect(transferError(errno('ENOSPC'), 'the input')).toBeInstanceOf(StorageFullError);
    expect(transferError(errno('ECONNRESET'), 'the input')).toBeInstanceOf(StorageUnavailableError);
    const other = new Error('boom');
    expect(transferError(other, 'the input')).toBe(other);
  });
});
