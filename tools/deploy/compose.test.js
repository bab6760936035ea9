'use strict';
/**
 * What can be checked about the deployment files without a Docker engine: docker-compose.yml against
 * the config schema (packages/core/src/config.ts) and DESIGN §9, the Dockerfiles' final image layout,
 * and the systemd unit against deploy/worker.env.example.
 */
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const ROOT = path.join(__dirname, '..', '..');
const read = (rel) => fs.readFileSync(path.join(ROOT, rel), 'utf8');
// jest compiles the TypeScript source (swc), so this is the schema the service really applies.
const { loadConfig } = require(path.join(ROOT, 'packages/core/src/config.ts'));

/** The schema's keys, read from the source: each `NAME: ...` line of the z.object({...}). */
function schemaKeys() {
  const src = read('packages/core/src/config.ts');
  const body = src.slice(src.indexOf('.object({'), src.indexOf('.superRefine('));
  return new Set([...body.matchAll(/^\s{4}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]));
}
/** Read by the AWS SDK's default credential chain, not by our config. */
const SDK_ENV = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);

/** Resolves ${NAME:-default} / ${NAME-default} / ${NAME} the way compose does with an empty shell. */
function interpolate(value) {
  return String(value).replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_m, _name, def) => def ?? '');
}

const compose = YAML.parse(read('docker-compose.yml'), { merge: true });
const services = compose.services;
const envOf = (name) =>
  Object.fromEntries(Object.entries(services[name].environment).map(([k, v]) => [k, interpolate(v)]));
const seconds = (s) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(s).trim());
  if (!m) throw new Error(`not a duration: ${s}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] || 's'];
};

describe('docker-compose.yml', () => {
  it('has the stack of DESIGN §9', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'minio', 'minio-bucket', 'postgres', 'redis', 'worker']);
    expect(services.postgres.image).toBe('postgres:16');
    expect(services.redis.image).toBe('redis:7');
    expect(services.redis.command.join(' ')).toMatch(/--appendonly yes/);
    expect(services['minio-bucket'].image).toMatch(/^minio\/mc/);
    expect(services['minio-bucket'].command.join(' ')).toMatch(/mc mb --ignore-existing "local\/\$\$S3_BUCKET"/);
  });

  it.each(['api', 'worker'])('sets on %s only variables the config schema (or the AWS SDK) reads', (name) => {
    const keys = schemaKeys();
    expect(keys.size).toBeGreaterThan(20);
    const unknown = Object.keys(services[name].environment).filter((k) => !keys.has(k) && !SDK_ENV.has(k));
    expect(unknown).toEqual([]);
  });

  it.each(['api', 'worker'])(
    'gives %s an environment that loadConfig accepts, in the split (Redis, S3) mode',
    (name) => {
      const config = loadConfig(envOf(name));
      expect(config).toMatchObject({ STORAGE: 's3', S3_BUCKET: 'video-jobs', S3_ENDPOINT: 'http://minio:9000' });
      expect(config.DATABASE_URL).toMatch(/^postgres:\/\/video_jobs:.+@postgres:5432\/video_jobs$/);
      expect(config.REDIS_URL).toBe('redis://redis:6379');
      expect(config.MODEL_PATH).toBe('/srv/video-jobs/models/yolox_nano.onnx');
    },
  );

  it('points the SDK at the MinIO root credentials the bucket job uses', () => {
    const env = envOf('worker');
    const minio = Object.fromEntries(Object.entries(services.minio.environment).map(([k, v]) => [k, interpolate(v)]));
    expect(env.AWS_ACCESS_KEY_ID).toBe(minio.MINIO_ROOT_USER);
    expect(env.AWS_SECRET_ACCESS_KEY).toBe(minio.MINIO_ROOT_PASSWORD);
    expect(minio.MINIO_ROOT_PASSWORD.length).toBeGreaterThanOrEqual(8); // MinIO refuses shorter ones
  });

  it('health-checks every long-running service the way the issue asks', () => {
    const test = (name) => [].concat(services[name].healthcheck.test).join(' ');
    expect(test('postgres')).toMatch(/pg_isready/);
    expect(test('redis')).toMatch(/redis-cli ping/);
    expect(test('minio')).toMatch(/mc ready local/);
    expect(test('api')).toMatch(/\/readyz/);
    expect(test('worker')).toMatch(/127\.0\.0\.1:9464\/healthz/);
    expect(envOf('worker').METRICS_PORT).toBe('9464');
  });

  it('starts api and worker after the backends are healthy and the bucket exists', () => {
    for (const name of ['api', 'worker']) {
      expect(services[name].depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        'minio-bucket': { condition: 'service_completed_successfully' },
      });
    }
  });

  it('publishes the API on the host loopback unless API_BIND is set (closed by default, issue 19)', () => {
    expect(services.api.ports).toEqual(['${API_BIND:-127.0.0.1}:${API_PORT:-8080}:8080']);
    expect(services.api.ports.map(interpolate)).toEqual(['127.0.0.1:8080:8080']);
    // Every published port of the stack is on loopback by default.
    const published = Object.values(services).flatMap((s) => (s.ports || []).map(interpolate));
    expect(published.every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
  });

  it('lets the worker scale: no container_name, no host port', () => {
    expect(services.worker.container_name).toBeUndefined();
    expect(services.worker.ports).toBeUndefined();
    expect(Object.values(services).some((s) => s.container_name)).toBe(false);
  });

  it('gives the worker a stop grace period longer than SHUTDOWN_GRACE_MS', () => {
    const grace = loadConfig(envOf('worker')).SHUTDOWN_GRACE_MS / 1000;
    expect(seconds(services.worker.stop_grace_period)).toBeGreaterThan(grace);
  });

  it('keeps state in named volumes, all declared', () => {
    const used = Object.values(services)
      .flatMap((s) => s.volumes || [])
      .map((v) => v.split(':')[0]);
    expect(used.sort()).toEqual(['miniodata', 'pgdata', 'redisdata']);
    expect(Object.keys(compose.volumes).sort()).toEqual(['miniodata', 'pgdata', 'redisdata']);
  });

  it('builds api and worker from Dockerfiles that exist', () => {
    for (const name of ['api', 'worker']) {
      expect(services[name].build).toEqual({ context: '.', dockerfile: `Dockerfile.${name}` });
      expect(fs.existsSync(path.join(ROOT, `Dockerfile.${name}`))).toBe(true);
    }
  });
});

describe('tools/deploy/compose.stand-ins.yml (the override pnpm test:compose runs with)', () => {
  const override = YAML.parse(read('tools/deploy/compose.stand-ins.yml'));

  it('replaces only the registry images and the Node base, so the rest of docker-compose.yml is what runs', () => {
    expect(Object.keys(override)).toEqual(['services']);
    for (const [name, service] of Object.entries(override.services)) {
      expect(Object.keys(services)).toContain(name);
      if (services[name].build) {
        expect(service).toEqual({ build: { args: { NODE_IMAGE: expect.stringMatching(/^video-jobs-stand-in\//) } } });
      } else {
        expect(service).toEqual({ image: expect.stringMatching(/^video-jobs-stand-in\//) });
      }
    }
    const registryImages = Object.keys(services).filter((n) => !services[n].build);
    expect(Object.keys(override.services).sort()).toEqual([...registryImages, 'api', 'worker'].sort());
  });
});

describe.each([
  ['Dockerfile.api', 'api'],
  ['Dockerfile.worker', 'worker'],
])('%s', (file, app) => {
  const text = read(file);
  const finalStage = text.slice(text.lastIndexOf('\nFROM '));
  const workdir = /^WORKDIR (\S+)$/m.exec(finalStage)[1];

  it('deploys only this app with production dependencies, under apps/<app> of the final WORKDIR', () => {
    expect(text).toMatch(new RegExp(`pnpm --filter @video-jobs/${app} --prod deploy --legacy .* /out/apps/${app}`));
    expect(finalStage).toMatch(new RegExp(`COPY --from=build /out/ ${workdir}/`));
    expect(text).toMatch(/pnpm install --frozen-lockfile/);
    expect(text).toMatch(/npm install -g pnpm@10/);
  });

  it(`runs \`node apps/${app}\` as a non-root user`, () => {
    expect(finalStage).toMatch(new RegExp(`^CMD \\["node", "apps/${app}"\\]$`, 'm'));
    const user = /^USER (\S+)$/m.exec(finalStage)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });

  it('bakes in the default model where MODEL_PATH points', () => {
    expect(text).toMatch(/pnpm models:fetch/);
    expect(text).toMatch(/cp models\/yolox_nano\.onnx \/out\/models\//);
    expect(finalStage).toMatch(new RegExp(`MODEL_PATH=${workdir}/models/yolox_nano\\.onnx`));
  });

  it('uses a current Node LTS image', () => {
    expect(text).toMatch(/^ARG NODE_IMAGE=node:(22|24)-bookworm-slim$/m);
  });

  it('builds with no registry but the base image: no `# syntax=` line (BuildKit would fetch a frontend image)', () => {
    expect(text).not.toMatch(/^#\s*syntax\s*=/im);
    expect([...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}']);
  });

  it('turns off the ONNX Runtime telemetry id, so the logs start without its warning', () => {
    expect(finalStage).toMatch(/ORT_DISABLE_TELEMETRY=1/);
  });
});

describe('deploy/video-jobs-worker.service', () => {
  const unit = read('deploy/video-jobs-worker.service');
  const directive = (name) => new RegExp(`^${name}=(.*)$`, 'm').exec(unit)?.[1];
  const envFile = read('deploy/worker.env.example');
  const env = Object.fromEntries(
    envFile
      .split('\n')
      .filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

  it('runs `node apps/worker` from its working directory, restarting on failure, stopping with SIGTERM', () => {
    expect(directive('ExecStart')).toMatch(/node apps\/worker$/);
    expect(directive('WorkingDirectory')).toBe('/opt/video-jobs');
    expect(directive('EnvironmentFile')).toBe('/etc/video-jobs/worker.env');
    expect(directive('Restart')).toBe('on-failure');
    expect(directive('KillSignal')).toBe('SIGTERM');
    expect(directive('User')).toBe('video-jobs');
  });

  it('waits longer than SHUTDOWN_GRACE_MS of worker.env.example before killing', () => {
    const graceSeconds = loadConfig(env).SHUTDOWN_GRACE_MS / 1000;
    expect(seconds(directive('TimeoutStopSec'))).toBeGreaterThan(graceSeconds);
  });

  it('ships an example environment that loadConfig accepts, with names the schema (or the SDK) reads', () => {
    const keys = schemaKeys();
    expect(Object.keys(env).filter((k) => !keys.has(k) && !SDK_ENV.has(k))).toEqual([]);
    const config = loadConfig(env);
    expect(config.MODEL_PATH.startsWith(directive('WorkingDirectory'))).toBe(true);
    expect(config.DATABASE_URL && config.REDIS_URL).toBeTruthy();
  });
});
