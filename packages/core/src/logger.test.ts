import { PassThrough } from 'node:stream';
import { createLogger, jobLogger } from './logger';

/** Collects what a logger writes and parses it as JSON lines. */
function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('createLogger', () => {
  it('writes one JSON object per line with level, message and timestamp', async () => {
    const out = capture();
    const logger = createLogger('info', { stream: out.stream });
    logger.info('job claimed', { attempts: 1 });
    logger.warn('lease lost');
    await flush();
    const lines = out.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 'info', message: 'job claimed', attempts: 1 });
    expect(typeof lines[0].timestamp).toBe('string');
    expect(lines[1]).toMatchObject({ level: 'warn', message: 'lease lost' });
  });

  it('drops lines below the configured level', async () => {
    const out = capture();
    const logger = createLogger({ LOG_LEVEL: 'warn' }, { stream: out.stream });
    logger.info('not shown');
    logger.error('shown');
    await flush();
    expect(out.lines().map((l) => l.message)).toEqual(['shown']);
  });

  it('gives child loggers from jobLogger the job_id on every line', async () => {
    const out = capture();
    const logger = createLogger('info', { stream: out.stream }).child({ service: 'worker' });
    const log = jobLogger(logger, '6f1c1a52-3b7e-4b8e-9f55-0a6f0d3e2c11');
    log.info('running');
    log.info('completed');
    await flush();
    expect(out.lines()).toEqual([
      expect.objectContaining({
        message: 'running',
        job_id: '6f1c1a52-3b7e-4b8e-9f55-0a6f0d3e2c11',
        service: 'worker',
      }),
      expect.objectContaining({ message: 'completed', job_id: '6f1c1a52-3b7e-4b8e-9f55-0a6f0d3e2c11' }),
    ]);
  });

  it('writes an error in the metadata with its message and stack, not as {}', async () => {
    const out = capture();
    const logger = createLogger('info', { stream: out.stream });
    const err = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    logger.error('queue unreachable', { error: err });
    await flush();
    const [line] = out.lines();
    expect(line.error).toMatchObject({ name: 'Error', message: 'connection refused', code: 'ECONNREFUSED' });
    expect(String((line.error as { stack: string }).stack)).toContain('connection refused');
  });
});
