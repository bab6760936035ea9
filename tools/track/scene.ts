/**
 * Generated tracking clips with known ground truth: photo crops of people and cars (from
 * ../shared/samples) moving along known straight paths over a plain background, drawn in depth
 * order, encoded to H.264 with the bundled ffmpeg. The ground truth per frame is each object's
 * visible box (the bounding box of its pixels not hidden by objects in front or by the frame edge)
 * and the fraction of it that is visible; objects less than MIN_VISIBLE visible are "ignored"
 * (neither a miss nor a false positive), as MOT benchmarks do for heavily occluded people.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { ffmpegPath } from '@video-jobs/pipeline';

export type Box = [number, number, number, number];

export interface Sprite {
  /** photo under ../shared/samples */
  file: string;
  /** crop in the photo's pixels */
  crop: Box;
  label: string;
  /** mirrored left-right (a car driving the other way) */
  mirror?: boolean;
}

export interface SceneObject {
  id: number;
  sprite: Sprite;
  /** drawn height in scene pixels (width keeps the crop's aspect) */
  height: number;
  /** keyframes: the sprite's top-left at these frames, moving linearly between; absent outside them */
  path: Array<{ frame: number; x: number; y: number }>;
}

/** A plain rectangle drawn in front of everything (a pillar, a sign): hides objects, is not one. */
export interface Occluder {
  box: Box;
  rgb: [number, number, number];
}

export interface SceneSpec {
  name: string;
  width: number;
  height: number;
  fps: number;
  frames: number;
  /** later objects are drawn in front of earlier ones */
  objects: SceneObject[];
  occluders: Occluder[];
}

export interface GroundTruthBox {
  id: number;
  label: string;
  box: Box;
  visibility: number;
  /** less than MIN_VISIBLE visible: neither a miss nor a false positive */
  ignore: boolean;
}

export const MIN_VISIBLE = 0.5;

const SAMPLES = path.resolve(__dirname, '..', '..', '..', 'shared', 'samples');

/** Top-left of an object at a frame, or undefined when it is not in the scene then. */
function placeAt(o: SceneObject, f: number): { x: number; y: number } | undefined {
  const p = o.path;
  if (f < p[0].frame || f > p[p.length - 1].frame) return undefined;
  for (let i = 1; i < p.length; i++) {
    if (f <= p[i].frame) {
      const a = p[i - 1];
      const b = p[i];
      const t = b.frame === a.frame ? 0 : (f - a.frame) / (b.frame - a.frame);
      return { x: Math.round(a.x + (b.x - a.x) * t), y: Math.round(a.y + (b.y - a.y) * t) };
    }
  }
  return { x: p[0].x, y: p[0].y };
}

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
}

/** The sprite's pixels, cropped, scaled (and mirrored) by ffmpeg from the photo. */
function loadSprite(o: SceneObject): Pixels {
  const [x1, y1, x2, y2] = o.sprite.crop;
  const width = 2 * Math.round(((x2 - x1) * o.height) / (y2 - y1) / 2);
  const filters = [
    `crop=${x2 - x1}:${y2 - y1}:${x1}:${y1}`,
    `scale=${width}:${o.height}:flags=bicubic`,
    ...(o.sprite.mirror ? ['hflip'] : []),
  ];
  const out = spawnSync(
    ffmpegPath(),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      path.join(SAMPLES, o.sprite.file),
      '-vf',
      filters.join(','),
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (out.status !== 0 || out.stdout.length !== width * o.height * 3)
    throw new Error(`ffmpeg could not cut sprite ${o.sprite.file}: ${out.stderr.toString().trim()}`);
  return { data: out.stdout, width, height: o.height };
}

function background(spec: SceneSpec): Buffer {
  const buf = Buffer.alloc(spec.width * spec.height * 3);
  for (let y = 0; y < spec.height; y++) {
    // a soft vertical gradient (sky to road grey), deterministic
    const g = Math.round(150 - (40 * y) / spec.height);
    for (let x = 0; x < spec.width; x++) {
      const i = (y * spec.width + x) * 3;
      buf[i] = g;
      buf[i + 1] = g + 4;
      buf[i + 2] = g + 10;
    }
  }
  return buf;
}

function blit(frame: Buffer, fw: number, fh: number, s: Pixels, x0: number, y0: number): void {
  for (let y = Math.max(0, y0); y < Math.min(fh, y0 + s.height); y++) {
    const sx0 = Math.max(0, -x0);
    const sx1 = Math.min(s.width, fw - x0);
    if (sx1 <= sx0) continue;
    s.data.copy(frame, (y * fw + x0 + sx0) * 3, ((y - y0) * s.width + sx0) * 3, ((y - y0) * s.width + sx1) * 3);
  }
}

/** Ground truth of one frame: every object present, with its visible box and visibility. */
export function groundTruth(
  spec: SceneSpec,
  sizes: ReadonlyMap<number, { width: number; height: number }>,
  f: number,
): GroundTruthBox[] {
  const out: GroundTruthBox[] = [];
  const present = spec.objects
    .map((o) => ({ o, at: placeAt(o, f) }))
    .filter((p): p is { o: SceneObject; at: { x: number; y: number } } => !!p.at);
  const rect = (p: (typeof present)[number]): Box => {
    const s = sizes.get(p.o.id)!;
    return [p.at.x, p.at.y, p.at.x + s.width, p.at.y + s.height];
  };
  present.forEach((p, k) => {
    const r = rect(p);
    const covers = [...present.slice(k + 1).map(rect), ...spec.occluders.map((o) => o.box)];
    // Visible pixels counted on a 2-pixel grid: exact enough, and cheap for a few objects.
    const step = 2;
    let visible = 0;
    let total = 0;
    const vb: Box = [Infinity, Infinity, -Infinity, -Infinity];
    for (let y = r[1]; y < r[3]; y += step) {
      for (let x = r[0]; x < r[2]; x += step) {
        total++;
        if (x < 0 || y < 0 || x >= spec.width || y >= spec.height) continue;
        if (covers.some((c) => x >= c[0] && x < c[2] && y >= c[1] && y < c[3])) continue;
        visible++;
        vb[0] = Math.min(vb[0], x);
        vb[1] = Math.min(vb[1], y);
        vb[2] = Math.max(vb[2], x + step);
        vb[3] = Math.max(vb[3], y + step);
      }
    }
    if (visible === 0) return;
    const visibility = visible / total;
    out.push({ id: p.o.id, label: p.o.sprite.label, box: vb, visibility, ignore: visibility < MIN_VISIBLE });
  });
  return out.sort((a, b) => a.id - b.id);
}

/** Renders the scene to `file` (H.264 MP4) and returns its ground truth, one array per frame. */
export async function renderScene(spec: SceneSpec, file: string): Promise<GroundTruthBox[][]> {
  const sprites = new Map<number, Pixels>();
  for (const o of spec.objects) sprites.set(o.id, loadSprite(o));
  const bg = background(spec);
  const ff = spawn(
    ffmpegPath(),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${spec.width}x${spec.height}`,
      '-r',
      String(spec.fps),
      '-i',
      'pipe:0',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '18',
      '-pix_fmt',
      'yuv420p',
      '-g',
      String(spec.fps),
      '-movflags',
      '+faststart',
      file,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ff.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(ff, 'close') as Promise<[number | null]>;
  const truth: GroundTruthBox[][] = [];
  for (let f = 0; f < spec.frames; f++) {
    const frame = Buffer.from(bg);
    for (const o of spec.objects) {
      const at = placeAt(o, f);
      if (at) blit(frame, spec.width, spec.height, sprites.get(o.id)!, at.x, at.y);
    }
    for (const oc of spec.occluders) {
      for (let y = Math.max(0, oc.box[1]); y < Math.min(spec.height, oc.box[3]); y++) {
        for (let x = Math.max(0, oc.box[0]); x < Math.min(spec.width, oc.box[2]); x++)
          frame.set(oc.rgb, (y * spec.width + x) * 3);
      }
    }
    truth.push(groundTruth(spec, sprites, f));
    if (!ff.stdin.write(frame)) await once(ff.stdin, 'drain');
  }
  ff.stdin.end();
  const [code] = await exited;
  if (code !== 0) throw new Error(`ffmpeg failed to encode ${file}: ${stderr.trim()}`);
  return truth;
}
