// A Docker engine and Compose v2 for `pnpm test:compose`: used as found when they answer; otherwise
// Debian's docker.io is installed (as root) and dockerd started in the background, and the Compose v2
// and buildx CLI plugins are taken out of Debian trixie's packages (bookworm's docker-compose is v1,
// which rejects the compose file's top-level `name:`; trixie's plugin binaries run on bookworm).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mustRun, onPath, run, sleep } from './run';

/** Why no engine could be had: printed as the one line the issue asks for. */
export class EngineUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

export interface Engine {
  /** The engine's version, e.g. 20.10.24+dfsg1. */
  version: string;
  /** True when this process started dockerd (and so stops it at the end). */
  started: boolean;
  stop(): Promise<void>;
}

async function engineVersion(): Promise<string | undefined> {
  const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

const isRoot = () => process.getuid?.() === 0;

async function aptInstall(packages: string[], logFile: string): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await mustRun('apt-get', ['update', '-qq'], { env, logFile, timeoutMs: 300_000 });
  await mustRun('apt-get', ['install', '-y', '-qq', ...packages], { env, logFile, timeoutMs: 600_000 });
}

/**
 * Returns an engine that answers: the running one, or dockerd started here (docker.io installed
 * first when dockerd is missing). Throws EngineUnavailableError when neither can be had.
 */
export async function ensureDockerEngine(workDir: string, log: (line: string) => void): Promise<Engine> {
  const running = (await onPath('docker')) ? await engineVersion() : undefined;
  if (running) return { version: running, started: false, stop: async () => {} };
  if (!isRoot()) throw new EngineUnavailableError('no Docker engine answers, and starting one needs root');
  if (!(await onPath('dockerd')) || !(await onPath('docker'))) {
    log('installing docker.io (Debian) for dockerd');
    try {
      await aptInstall(['docker.io'], path.join(workDir, 'apt-docker.log'));
    } catch (err) {
      throw new EngineUnavailableError(`docker.io could not be installed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const logFile = path.join(workDir, 'dockerd.log');
  const out = fs.openSync(logFile, 'a');
  const dockerd = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  dockerd.unref();
  log(`started dockerd (pid ${dockerd.pid}, log ${logFile})`);
  const stop = async () => {
    if (dockerd.exitCode !== null || dockerd.pid === undefined) return;
    process.kill(dockerd.pid, 'SIGTERM');
    for (let i = 0; i < 60 && dockerd.exitCode === null && dockerd.signalCode === null; i++) await sleep(500);
  };
  for (let i = 0; i < 60; i++) {
    const version = await engineVersion();
    if (version) return { version, started: true, stop };
    if (dockerd.exitCode !== null) break;
    await sleep(1_000);
  }
  await stop();
  const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
  throw new EngineUnavailableError(`dockerd did not answer within 60 s: ${tail}`);
}

/** Debian trixie's packages holding the CLI plugins; their binaries are static Go programs. */
const PLUGIN_PACKAGES = { compose: 'docker-compose', buildx: 'docker-buildx' } as const;
type Plugin = keyof typeof PLUGIN_PACKAGES;

async function pluginMajor(plugin: Plugin): Promise<number | undefined> {
  const r = await run('docker', [plugin, 'version'], { timeoutMs: 20_000 });
  const m = /v?(\d+)\.\d+/.exec(r.stdout);
  return r.code === 0 && m ? Number(m[1]) : undefined;
}

/**
 * Makes `docker compose` Compose v2 and `docker buildx` answer, taking the plugin binaries out of
 * trixie's .deb files into ~/.docker/cli-plugins when they do not. apt-get downloads with a
 * temporary source list and state under workDir: nothing of the machine's apt set-up changes.
 */
export async function ensureComposePlugins(workDir: string, log: (line: string) => void): Promise<string> {
  const missing: Plugin[] = [];
  for (const plugin of Object.keys(PLUGIN_PACKAGES) as Plugin[]) {
    const major = await pluginMajor(plugin);
    if (major === undefined || (plugin === 'compose' && major < 2)) missing.push(plugin);
  }
  if (missing.length > 0) {
    log(`taking docker ${missing.join(' and ')} out of Debian trixie's packages`);
    const apt = path.join(workDir, 'apt-trixie');
    fs.rmSync(apt, { recursive: true, force: true });
    for (const dir of ['lists/partial', 'cache/archives/partial', 'debs'])
      fs.mkdirSync(path.join(apt, dir), { recursive: true });
    fs.writeFileSync(
      path.join(apt, 'sources.list'),
      'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n',
    );
    const options = [
      `-o=Dir::Etc::SourceList=${path.join(apt, 'sources.list')}`,
      '-o=Dir::Etc::SourceParts=/dev/null',
      `-o=Dir::State::Lists=${path.join(apt, 'lists')}`,
      `-o=Dir::Cache=${path.join(apt, 'cache')}`,
    ];
    const logFile = path.join(workDir, 'apt-trixie.log');
    await mustRun('apt-get', [...options, 'update', '-qq'], { logFile, timeoutMs: 300_000 });
    const debs = path.join(apt, 'debs');
    await mustRun('apt-get', [...options, 'download', ...missing.map((p) => PLUGIN_PACKAGES[p])], {
      cwd: debs,
      logFile,
      timeoutMs: 300_000,
    });
    const pluginDir = path.join(os.homedir(), '.docker', 'cli-plugins');
    fs.mkdirSync(pluginDir, { recursive: true });
    for (const plugin of missing) {
      const deb = fs.readdirSync(debs).find((f) => f.startsWith(`${PLUGIN_PACKAGES[plugin]}_`));
      if (!deb) throw new Error(`apt-get download left no ${PLUGIN_PACKAGES[plugin]} package in ${debs}`);
      const extracted = path.join(apt, plugin);
      await mustRun('dpkg-deb', ['-x', path.join(debs, deb), extracted]);
      fs.copyFileSync(
        path.join(extracted, 'usr/libexec/docker/cli-plugins', `docker-${plugin}`),
        path.join(pluginDir, `docker-${plugin}`),
      );
      fs.chmodSync(path.join(pluginDir, `docker-${plugin}`), 0o755);
    }
  }
  const version = await run('docker', ['compose', 'version', '--short']);
  if ((await pluginMajor('compose')) !== 2) throw new Error(`docker compose is not Compose v2: ${version.stdout}`);
  return version.stdout.trim();
}
