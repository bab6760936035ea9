import fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { Readable } from 'node:stream';
import { VideoJobsApiError, VideoJobsNetworkError, WaitTimeoutError } from './errors';
import { Spinner, type SpinnerStream } from './spinner';
import type { JobState, JobStatus } from './types';
import { VideoJobsClient, type VideoInput } from './video-jobs-client';

/** Exit codes scripts can rely on (docs/client.md). */
export const EXIT = {
  /** The command did what was asked; with --wait, the job completed. */
  OK: 0,
  /** With --wait: the job failed (its status, with error_message, is on stdout). */
  JOB_FAILED: 1,
  /** Bad arguments, an unreadable file, or the API refused the request (HTTP 4xx: 400, 401, 404, 413). */
  USAGE: 2,
  /** The service could not be reached or answered with a server error (HTTP 5xx). */
  SERVER: 3,
  /** --wait gave up after --timeout; the job goes on (its last status is on stdout). */
  TIMEOUT: 4,
} as const;

export const DEFAULT_URL = 'http://localhost:8080';

export interface OutStream extends SpinnerStream {
  write(chunk: string | Uint8Array): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  /** Injected for tests; defaults as in VideoJobsClient. */
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Read for `submit -`. */
  stdin?: Readable;
}

class UsageError extends Error {}

const positiveInt = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1)
    throw new InvalidArgumentError(`${name} must be a whole number >= 1.`);
  return Number(value);
};

const nonNegativeInt = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be a whole number >= 0.`);
  return Number(value);
};

const positiveSeconds = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number of seconds > 0.');
  return n;
};

interface WaitFlags {
  timeout?: number;
  out?: string;
}

/** Runs the CLI and returns its exit code (it never calls process.exit, so tests can drive it). */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { stdout, stderr, env } = io;
  let quiet = false;
  const say = (line: string) => {
    if (!quiet) stderr.write(`${line}\n`);
  };
  const printJson = (value: unknown) => stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  let code: number = EXIT.OK;

  const program = new Command('video-jobs')
    .description('Submit MP4s to a video-jobs service, follow their status, fetch their results.')
    .version(readVersion(), '-V, --version')
    .option('--url <url>', 'service base URL (env VIDEO_JOBS_URL)', env.VIDEO_JOBS_URL || DEFAULT_URL)
    .option('-q, --quiet', 'no messages on stderr except errors')
    .addHelpText(
      'after',
      '\nThe API key, when the service needs one, is read from VIDEO_JOBS_API_KEY.\n' +
        'JSON goes to stdout, messages to stderr. Exit codes: 0 ok, 1 job failed, 2 usage or request\n' +
        'refused (HTTP 4xx), 3 service unreachable or server error, 4 --wait timed out.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) })
    .hook('preAction', () => {
      quiet = Boolean(program.opts().quiet);
    });

  const client = (): VideoJobsClient => {
    const url = program.opts<{ url: string }>().url;
    try {
      return new VideoJobsClient({
        baseUrl: url,
        apiKey: env.VIDEO_JOBS_API_KEY,
        fetch: io.fetch,
        sleep: io.sleep,
        now: io.now,
      });
    } catch {
      throw new UsageError(`--url ${JSON.stringify(url)} is not a URL`);
    }
  };

  /** Waits for the job, then writes what scripts need; returns the exit code. */
  const waitAndReport = async (c: VideoJobsClient, jobId: string, flags: WaitFlags): Promise<number> => {
    const spinner = new Spinner(stderr, Boolean(stderr.isTTY), io.now);
    let final: JobStatus;
    try {
      final = await c.waitFor(jobId, {
        timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
        onStatus: (s) => (quiet ? undefined : spinner.update(`job ${jobId}: ${s.status}`)),
        onRetry: (err) => say(`retrying after: ${err.message}`),
      });
    } finally {
      spinner.stop();
    }
    if (final.status === 'failed') {
      printJson(final);
      say(`job ${jobId} failed: ${final.error_message ?? 'no message'}`);
      return EXIT.JOB_FAILED;
    }
    if (flags.out) {
      const bytes = await c.downloadResults(jobId, flags.out);
      printJson(final);
      say(`job ${jobId} completed; results written to ${flags.out} (${bytes} bytes)`);
    } else {
      await copyTo(await c.resultsStream(jobId), stdout);
      stdout.write('\n');
      say(`job ${jobId} completed`);
    }
    return EXIT.OK;
  };

  program
    .command('submit')
    .description('upload an MP4 ("-" reads stdin) and print {"job_id"}; with --wait, wait and print the results')
    .argument('<file>', 'path of the MP4, or - for stdin')
    .option('-p, --pipeline <id>', 'pipeline: yolo_ocr (server default), yolo or ocr')
    .option('-s, --stride <n>', 'analyse every n-th frame', positiveInt('--stride'))
    .option('-m, --max-frames <n>', 'analyse at most n frames', positiveInt('--max-frames'))
    .option('-w, --wait', 'wait for the job to finish, then print its results')
    .option('-t, --timeout <seconds>', 'with --wait: give up after this long (exit 4)', positiveSeconds)
    .option('-o, --out <file>', 'with --wait: write the results to this file instead of stdout')
    .action(
      async (
        file: string,
        opts: { pipeline?: string; stride?: number; maxFrames?: number; wait?: boolean } & WaitFlags,
      ) => {
        if (!opts.wait && (opts.out || opts.timeout !== undefined))
          throw new UsageError('--out and --timeout need --wait');
        const c = client();
        let input: VideoInput = file;
        if (file === '-') input = io.stdin ?? process.stdin;
        else await checkReadable(file);
        say(`uploading ${file === '-' ? 'stdin' : file}`);
        const { job_id } = await c.submit(input, {
          pipelineId: opts.pipeline,
          frameStride: opts.stride,
          maxFrames: opts.maxFrames,
        });
        if (!opts.wait) {
          printJson({ job_id });
          say(`submitted job ${job_id}`);
          return;
        }
        say(`submitted job ${job_id}; waiting`);
        code = await waitAndReport(c, job_id, opts);
      },
    );

  program
    .command('status')
    .description('print the status of a job')
    .argument('<job_id>')
    .action(async (jobId: string) => {
      printJson(await client().status(jobId));
    });

  program
    .command('list')
    .description('print your jobs, newest first (one page; --cursor for the next)')
    .option('--status <status>', 'only jobs in this status (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('-l, --limit <n>', 'jobs per page, 1-100 (server default 20)', positiveInt('--limit'))
    .option('--cursor <cursor>', 'the next_cursor of the previous page')
    .action(async (opts: { status?: string[]; limit?: number; cursor?: string }) => {
      printJson(
        await client().listJobs({
          status: opts.status as JobState[] | undefined,
          limit: opts.limit,
          cursor: opts.cursor,
        }),
      );
    });

  program
    .command('results')
    .description('print the results of a completed job (or write them to --out); --from-frame/--limit for one page')
    .argument('<job_id>')
    .option('-o, --out <file>', 'write the results to this file instead of stdout')
    .option('--from-frame <n>', 'one page: frames with frame_index >= n', nonNegativeInt('--from-frame'))
    .option('-l, --limit <n>', 'one page: at most n frames (1-10000)', positiveInt('--limit'))
    .action(async (jobId: string, opts: { out?: string; fromFrame?: number; limit?: number }) => {
      const c = client();
      if (opts.fromFrame !== undefined || opts.limit !== undefined) {
        const page = await c.resultsPage(jobId, { fromFrame: opts.fromFrame, limit: opts.limit });
        printJson(page.results);
        if (page.nextFromFrame !== null) say(`more results: --from-frame ${page.nextFromFrame}`);
      } else if (opts.out) {
        const bytes = await c.downloadResults(jobId, opts.out);
        say(`results of ${jobId} written to ${opts.out} (${bytes} bytes)`);
      } else {
        await copyTo(await c.resultsStream(jobId), stdout);
        stdout.write('\n');
      }
    });

  program
    .command('wait')
    .description('wait for a submitted job to finish, then print its results')
    .argument('<job_id>')
    .option('-t, --timeout <seconds>', 'give up after this long (exit 4)', positiveSeconds)
    .option('-o, --out <file>', 'write the results to this file instead of stdout')
    .action(async (jobId: string, opts: WaitFlags) => {
      code = await waitAndReport(client(), jobId, opts);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    return report(err, stdout, stderr);
  }
}

/** Maps an error to its exit code, with one line on stderr (and the last status on stdout for a timeout). */
function report(err: unknown, stdout: OutStream, stderr: OutStream): number {
  if (err instanceof CommanderError) {
    // commander has printed the message (or the help) already
    return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  }
  const fail = (code: number, message: string) => {
    stderr.write(`video-jobs: ${message}\n`);
    return code;
  };
  if (err instanceof UsageError) return fail(EXIT.USAGE, err.message);
  if (err instanceof WaitTimeoutError) {
    if (err.lastStatus) stdout.write(`${JSON.stringify(err.lastStatus, null, 2)}\n`);
    return fail(EXIT.TIMEOUT, err.message);
  }
  if (err instanceof VideoJobsApiError) {
    return fail(err.isClientError ? EXIT.USAGE : EXIT.SERVER, err.message);
  }
  if (err instanceof VideoJobsNetworkError) return fail(EXIT.SERVER, err.message);
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.syscall) return fail(EXIT.USAGE, e.message);
  return fail(EXIT.SERVER, `unexpected error: ${e?.stack ?? String(err)}`);
}

async function checkReadable(file: string): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!stat.isFile()) throw new UsageError(`${file} is not a file`);
}

/** Copies a stream into an output that stays open (stdout), minding backpressure. */
async function copyTo(source: Readable, out: OutStream): Promise<void> {
  for await (const chunk of source) {
    if (!out.write(chunk as Uint8Array)) await new Promise<void>((resolve) => out.once('drain', resolve));
  }
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(`${__dirname}/../package.json`, 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The `video-jobs` command (bin/video-jobs.js). */
export function main(): void {
  run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdin: process.stdin,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`video-jobs: ${String(err)}\n`);
      process.exitCode = EXIT.SERVER;
    },
  );
}
