import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.STORAGE).toBe('local');
    expect(c.MAX_UPLOAD_BYTES).toBe(2 * 1024 ** 3);
    expect(c.HEARTBEAT_MS).toBe(10_000);
    expect(c.LEASE_MS).toBe(60_000);
    expect(c.MAX_ATTEMPTS).toBe(3);
    expect(c.API_KEYS).toEqual([]);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('splits API_KEYS on commas and drops blanks', () => {
    expect(loadConfig({ API_KEYS: ' a, b ,,c' }).API_KEYS).toEqual(['a', 'b', 'c']);
  });

  it('listens on loopback only while the API is open (no API_KEYS), unless API_BIND says otherwise', () => {
    expect(loadConfig({}).API_BIND).toBe('127.0.0.1');
    expect(loadConfig({ API_KEYS: ' , ' }).API_BIND).toBe('127.0.0.1');
    expect(loadConfig({ API_BIND: '0.0.0.0' }).API_BIND).toBe('0.0.0.0');
  });

  it('listens on every interface when API keys are set and API_BIND is not', () => {
    expect(loadConfig({ API_KEYS: 'k1' }).API_BIND).toBeNull();
    expect(loadConfig({ API_KEYS: 'k1', API_BIND: '10.0.0.5' }).API_BIND).toBe('10.0.0.5');
  });

  it('names every bad variable and its rule', () => {
    const run = () => loadConfig({ PORT: 'abc', WORKER_CONCURRENCY: '0', STORAGE: 'ftp' });
    expect(run).toThrow(ConfigError);
    try {
      run();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toMatch(/PORT:/);
      expect(msg).toMatch(/WORKER_CONCURRENCY:/);
      expect(msg).toMatch(/STORAGE:/);
    }
  });

  it('requires S3_BUCKET when STORAGE=s3', () => {
    expect(() => loadConfig({ STORAGE: 's3' })).toThrow(/S3_BUCKET: is required when STORAGE=s3/);
  });

  it('refuses a heartbeat that is not shorter than the lease', () => {
    expect(() => loadConfig({ HEARTBEAT_MS: '5000', LEASE_MS: '5000' })).toThrow(/HEARTBEAT_MS/);
  });

  it('keeps a lost track 30 sampled frames by default, takes 0 (no waiting), and names a bad TRACK_MAX_MISSED_FRAMES', () => {
    expect(loadConfig({}).TRACK_MAX_MISSED_FRAMES).toBe(30);
    expect(loadConfig({ TRACK_MAX_MISSED_FRAMES: '0' }).TRACK_MAX_MISSED_FRAMES).toBe(0);
    expect(() => loadConfig({ TRACK_MAX_MISSED_FRAMES: '-1' })).toThrow(/TRACK_MAX_MISSED_FRAMES/);
    expect(() => loadConfig({ TRACK_MAX_MISSED_FRAMES: '2.5' })).toThrow(/TRACK_MAX_MISSED_FRAMES/);
  });

  describe('retention and free space', () => {
    it('keeps finished jobs 7 days, inputs as long, and wants 1 GiB free by default', () => {
      const c = loadConfig({});
      expect(c.RETENTION_MS).toBe(7 * 24 * 3600 * 1000);
      expect(c.INPUT_RETENTION_MS).toBe(c.RETENTION_MS);
      expect(c.MIN_FREE_BYTES).toBe(1024 ** 3);
    });

    it('keeps everything with RETENTION_MS=0 unless INPUT_RETENTION_MS is set', () => {
      expect(loadConfig({ RETENTION_MS: '0' }).INPUT_RETENTION_MS).toBeNull();
      expect(loadConfig({ RETENTION_MS: '0', INPUT_RETENTION_MS: '0' }).INPUT_RETENTION_MS).toBe(0);
    });

    it('lets inputs go sooner than rows, down to 0, but not later', () => {
      expect(loadConfig({ RETENTION_MS: '60000', INPUT_RETENTION_MS: '0' }).INPUT_RETENTION_MS).toBe(0);
      expect(() => loadConfig({ RETENTION_MS: '60000', INPUT_RETENTION_MS: '60001' })).toThrow(
        /INPUT_RETENTION_MS: must not be longer than RETENTION_MS/,
      );
    });

    it('names a negative or non-integer value', () => {
      expect(() => loadConfig({ RETENTION_MS: '-1' })).toThrow(/RETENTION_MS:/);
      expect(() => loadConfig({ INPUT_RETENTION_MS: '1.5' })).toThrow(/INPUT_RETENTION_MS:/);
      expect(() => loadConfig({ MIN_FREE_BYTES: 'lots' })).toThrow(/MIN_FREE_BYTES:/);
      expect(loadConfig({ MIN_FREE_BYTES: '0' }).MIN_FREE_BYTES).toBe(0);
    });
  });
});
