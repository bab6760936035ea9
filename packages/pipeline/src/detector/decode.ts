import type { Box } from '../types';
import type { LetterboxGeometry } from './letterbox';
import type { ModelLayout } from './model-layout';
import type { Candidate } from './nms';

/** Maps a box from model-input pixels back to the image's pixels and clips it to the image. */
function toImage(
  cx: number,
  cy: number,
  bw: number,
  bh: number,
  g: LetterboxGeometry,
  width: number,
  height: number,
): Box {
  const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
  return [
    clip((cx - bw / 2 - g.offsetX) / g.scale, width),
    clip((cy - bh / 2 - g.offsetY) / g.scale, height),
    clip((cx + bw / 2 - g.offsetX) / g.scale, width),
    clip((cy + bh / 2 - g.offsetY) / g.scale, height),
  ];
}

const hasArea = (b: Box) => b[2] > b[0] && b[3] > b[1];

/** YOLOX [1, N, 5 + C]: grid offsets decoded per stride; score = objectness x best class score. */
export function decodeYolox(
  out: Float32Array,
  layout: ModelLayout,
  g: LetterboxGeometry,
  width: number,
  height: number,
  minScore: number,
): Candidate[] {
  const stride = 5 + layout.classCount;
  const found: Candidate[] = [];
  let i = 0;
  for (const s of [8, 16, 32]) {
    const gw = Math.floor(layout.inputWidth / s);
    const gh = Math.floor(layout.inputHeight / s);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, i++) {
        const o = i * stride;
        const objectness = out[o + 4];
        if (objectness < minScore) continue; // score <= objectness: nothing here can pass
        let best = 0;
        let classId = 0;
        for (let c = 0; c < layout.classCount; c++) {
          const p = out[o + 5 + c];
          if (p > best) [best, classId] = [p, c];
        }
        const score = objectness * best;
        if (score < minScore) continue;
        const box = toImage(
          (out[o] + gx) * s,
          (out[o + 1] + gy) * s,
          Math.exp(out[o + 2]) * s,
          Math.exp(out[o + 3]) * s,
          g,
          width,
          height,
        );
        if (hasArea(box)) found.push({ classId, score, box });
      }
    }
  }
  return found;
}

/** Ultralytics [1, 4 + C, N], column-major per anchor: cx, cy, w, h in input pixels, then class probabilities. */
export function decodeUltralytics(
  out: Float32Array,
  layout: ModelLayout,
  g: LetterboxGeometry,
  width: number,
  height: number,
  minScore: number,
): Candidate[] {
  const n = layout.anchors;
  const found: Candidate[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    let classId = 0;
    for (let c = 0; c < layout.classCount; c++) {
      const p = out[(4 + c) * n + i];
      if (p > best) [best, classId] = [p, c];
    }
    if (best < minScore) continue;
    const box = toImage(out[i], out[n + i], out[2 * n + i], out[3 * n + i], g, width, height);
    if (hasArea(box)) found.push({ classId, score: best, box });
  }
  return found;
}
