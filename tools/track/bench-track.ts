/**
 * `pnpm bench:track`: tracking quality and cost of the `yolo_track` pipeline.
 *
 * 1. Renders the generated street scene (tools/track/scenes.ts, ground truth known per frame) and
 *    runs `yolo_track` on it at frame_stride 1, 2 and 5, scoring MOTA, IDF1 and ID switches against
 *    the ground truth of the sampled frames. The same detections are also tracked by the naive greedy
 *    IoU matcher, as a baseline.
 * 2. Cost: `yolo` and `yolo_track` on the same clip at stride 1, alternately, --rounds times; prints
 *    each pipeline's time per frame and the median of the per-round ratios (neighbouring runs see
 *    similar load on a shared machine), the same for CPU time (this process and ffmpeg, which other
 *    work barely moves), the load average, and the tracker's own time per frame.
 * Options: --rounds N (5)  --keep DIR (write the clip and its ground truth there)  --threads N
 * Uses the built packages (pnpm build first).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ByteTracker,
  FrameSource,
  PIPELINES,
  PipelineRegistry,
  VideoFilePipelineService,
  YoloDetector,
  addTrackIds,
  type ByteTrackerOptions,
  type Detection,
  type FrameResult,
  type TrackInput,
} from '@video-jobs/pipeline';
import { GreedyIouTracker } from './greedy-tracker';
import { scoreMot, type HypothesisBox, type MotScores } from './mot-metrics';
import { renderScene, type GroundTruthBox } from './scene';
import { STREET } from './scenes';

const argv = process.argv.slice(2);
const arg = (name: string, def?: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const rounds = Number(arg('rounds', '5'));
const threads = arg('threads') === undefined ? undefined : Number(arg('threads'));
const keep = arg('keep');
/** Labels the scene's objects may be given; other detections are not scored. */
const SCORED = new Set(['person', 'car', 'truck', 'bus']);

type Tracked = Detection & { track_id: number };

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const pct = (x: number) => (100 * x).toFixed(1);
/**
 * CPU seconds used so far by this process (all threads) and its reaped children (ffmpeg), from
 * /proc/self/stat: unlike wall time, barely moved by other work on a shared machine.
 */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (own.user + own.system) / 1e6 + (Number(fields[13]) + Number(fields[14])) / 100;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function collect(it: AsyncIterable<FrameResult>): Promise<FrameResult[]> {
  const out: FrameResult[] = [];
  for await (const r of it) out.push(r);
  return out;
}

function score(truth: GroundTruthBox[][], results: FrameResult[], ids: (r: FrameResult) => number[]): MotScores {
  const t = results.map((r) => truth[r.frame_index]);
  const h = results.map((r) => {
    const d = r.result.detections as Detection[];
    const id = ids(r);
    return d
      .map((x, i): HypothesisBox & { label: string } => ({ id: id[i], box: x.box, label: x.label }))
      .filter((x) => SCORED.has(x.label));
  });
  return scoreMot(t, h);
}

/** Runs a tracker over plain detections (results of `yolo`) and returns per-frame ids. */
function offline(
  results: FrameResult[],
  make: () => { update(d: readonly TrackInput[]): number[] },
): Map<FrameResult, number[]> {
  const tracker = make();
  return new Map(results.map((r) => [r, tracker.update(r.result.detections as Detection[])]));
}

const line = (name: string, s: MotScores) =>
  `  ${name.padEnd(34)} MOTA ${pct(s.mota).padStart(5)}  IDF1 ${pct(s.idf1).padStart(5)}  IDsw ${String(s.idSwitches).padStart(3)}  ids ${s.hypothesisIds}/${s.truthIds}  FN ${s.misses}  FP ${s.falsePositives}  GT ${s.truth}`;

async function main() {
  const dir = keep ? path.resolve(keep) : await mkdtemp(path.join(os.tmpdir(), 'bench-track-'));
  await mkdir(dir, { recursive: true });
  const clip = path.join(dir, `${STREET.name}.mp4`);
  const truth = await renderScene(STREET, clip);
  if (keep) await writeFile(path.join(dir, `${STREET.name}.truth.json`), JSON.stringify(truth));
  const detector = await YoloDetector.create({ threads });
  const registry = new PipelineRegistry(PIPELINES.filter((p) => !p.stages.includes('ocr')));
  const service = new VideoFilePipelineService({ frames: new FrameSource(), detector, registry });
  const run = (pipelineId: string, frameStride: number) =>
    collect(service.runOnFile(clip, { pipelineId, frameStride, maxFrames: null }));
  console.log(
    `bench:track: ${STREET.name} scene ${STREET.width}x${STREET.height}, ${STREET.frames} frames, ${STREET.objects.length} objects; load ${load()} on ${os.availableParallelism()} cores`,
  );
  try {
    for (const stride of [1, 2, 5]) {
      const tracked = await run('yolo_track', stride);
      const plain = await run('yolo', stride);
      const strip = (r: FrameResult) =>
        JSON.stringify((r.result.detections as Tracked[]).map(({ track_id: _, ...d }) => d));
      const same = tracked.every((r, i) => strip(r) === JSON.stringify(plain[i].result.detections));
      console.log(
        `stride ${stride}: ${tracked.length} frames${same ? '' : ' (DETECTIONS DIFFER between yolo and yolo_track!)'}`,
      );
      console.log(
        line(
          'yolo_track',
          score(truth, tracked, (r) => (r.result.detections as Tracked[]).map((d) => d.track_id)),
        ),
      );
      const greedy = offline(plain, () => new GreedyIouTracker());
      console.log(
        line(
          'greedy IoU matcher',
          score(truth, plain, (r) => greedy.get(r)!),
        ),
      );
      // What each choice is worth: the same detections tracked with one setting changed.
      const variants: Array<[string, ByteTrackerOptions]> = [
        ['plain ByteTrack lost tracks', { lostMotionFromHistory: false, lostBuffer: 0 }],
        ['no buffered IoU', { lostBuffer: 0 }],
        ['class-agnostic', { classMismatchCost: 0 }],
        ['no low-score pass', { highScore: 0 }],
        ['max missed 10', { maxMissedFrames: 10 }],
      ];
      for (const [name, options] of variants) {
        const ids = offline(plain, () => new ByteTracker(options));
        console.log(
          line(
            `variant: ${name}`,
            score(truth, plain, (r) => ids.get(r)!),
          ),
        );
      }
    }
    if (rounds > 0) {
      const perFrame: Record<string, number[]> = { yolo: [], yolo_track: [] };
      const cpuPerFrame: Record<string, number[]> = { yolo: [], yolo_track: [] };
      const ratios: number[] = [];
      const cpuRatios: number[] = [];
      let recorded: FrameResult[] = [];
      for (let k = 0; k < rounds; k++) {
        const round: Record<string, number> = {};
        const cpuRound: Record<string, number> = {};
        // Alternate which goes first so a trend in the machine's load does not favour one.
        for (const id of k % 2 ? ['yolo_track', 'yolo'] : ['yolo', 'yolo_track']) {
          const t0 = process.hrtime.bigint();
          const c0 = cpuSeconds();
          const out = await run(id, 1);
          round[id] = Number(process.hrtime.bigint() - t0) / 1e6 / out.length;
          cpuRound[id] = ((cpuSeconds() - c0) * 1e3) / out.length;
          perFrame[id].push(round[id]);
          cpuPerFrame[id].push(cpuRound[id]);
          if (id === 'yolo') recorded = out;
        }
        ratios.push(round.yolo_track / round.yolo);
        cpuRatios.push(cpuRound.yolo_track / cpuRound.yolo);
      }
      // The tracker alone, on recorded detections: what yolo_track adds, free of decode and inference noise.
      const frames = (async function* () {
        yield* recorded;
      })();
      const t0 = process.hrtime.bigint();
      const n = (await collect(addTrackIds(frames))).length;
      const trackerMs = Number(process.hrtime.bigint() - t0) / 1e6 / n;
      const best = (id: string) => Math.min(...perFrame[id]);
      console.log(
        `cost at stride 1, ${rounds} rounds: yolo ${best('yolo').toFixed(2)} ms/frame (best), yolo_track ${best('yolo_track').toFixed(2)} ms/frame (best)`,
      );
      console.log(
        `  yolo_track / yolo: median of rounds ${median(ratios).toFixed(3)} (rounds ${ratios.map((r) => r.toFixed(3)).join(' ')}), best/best ${(best('yolo_track') / best('yolo')).toFixed(3)}`,
      );
      console.log(
        `  CPU time (process + ffmpeg): yolo ${median(cpuPerFrame.yolo).toFixed(2)} ms/frame, yolo_track ${median(cpuPerFrame.yolo_track).toFixed(2)} ms/frame (medians); yolo_track / yolo median of rounds ${median(cpuRatios).toFixed(3)} (rounds ${cpuRatios.map((r) => r.toFixed(3)).join(' ')})`,
      );
      console.log(
        `  tracker alone: ${trackerMs.toFixed(3)} ms/frame = ${pct(trackerMs / best('yolo'))} % of yolo's frame time; load ${load()}`,
      );
    }
  } finally {
    await service.close();
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
