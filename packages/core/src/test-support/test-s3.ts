import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The same settings as environment variables, for code that reads its config from env. */
  env: Record<string, string>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

/**
 * Starts s3rver (an S3-compatible server) in a child process on a loopback ephemeral port, with a
 * temp directory and one bucket. Use for S3Storage tests: path-style addressing, s3rver's fixed
 * credentials. It does not implement AbortMultipartUpload (answers 405).
 */
export async function startS3rver(bucket = `test-${randomBytes(4).toString('hex')}`): Promise<TestS3> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-s3rver-'));
  const child = fork(path.join(__dirname, 's3rver.process.js'), [directory, bucket], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let port: number;
  try {
    port = await waitForPort(child);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const region = 'us-east-1';
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    region,
    credentials,
    env: {
      STORAGE: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    close() {
      closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
        await rm(directory, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('s3rver did not start within 15 s')), 15_000);
    child.once('message', (msg: { port?: number; error?: string }) => {
      clearTimeout(timer);
      if (msg.port) resolve(msg.port);
      else reject(new Error(`s3rver failed to start: ${msg.error}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with code ${code} before it started`));
    });
  });
}
