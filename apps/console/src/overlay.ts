/** Draws a result frame's boxes, labels and OCR lines over the video, scaled to the element. */
import type { FrameResult } from './api';

export const DETECTION_COLOUR = '#00e5ff';
export const TEXT_COLOUR = '#ffd400';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the picture sits inside an element of this size (object-fit: contain letterboxes it). */
export function contentRect(elWidth: number, elHeight: number, videoWidth: number, videoHeight: number): Rect {
  const scale = Math.min(elWidth / videoWidth, elHeight / videoHeight);
  const width = videoWidth * scale;
  const height = videoHeight * scale;
  return { x: (elWidth - width) / 2, y: (elHeight - height) / 2, width, height };
}

/**
 * The result frame shown at `timeMs`: the last one at or before it, for as long as the gap to the
 * next analysed frame (frames between two analysed ones keep the earlier one's boxes). Past the
 * last frame it stays for one typical gap, then nothing is drawn.
 */
export function frameAt(frames: readonly FrameResult[], timeMs: number): FrameResult | undefined {
  let lo = 0;
  let hi = frames.length - 1;
  let found = -1;
  // +1 ms: seeking to t/1000 can land a hair before t in floating point.
  const t = timeMs + 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid].result.timestamp_ms <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  if (found === frames.length - 1 && frames.length > 1) {
    const gap = frames[found].result.timestamp_ms - frames[found - 1].result.timestamp_ms;
    if (t - frames[found].result.timestamp_ms > gap) return undefined;
  }
  return frames[found];
}

/** Clears the canvas (sized in device pixels) and draws one frame's findings. */
export function drawFrame(
  ctx: CanvasRenderingContext2D,
  frame: FrameResult | undefined,
  video: { width: number; height: number },
  dpr: number,
): void {
  const canvas = ctx.canvas;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!frame || !video.width || !video.height) return;
  const r = contentRect(canvas.width, canvas.height, video.width, video.height);
  const s = r.width / video.width;
  const fontPx = Math.max(11, Math.round(13 * dpr));
  ctx.font = `${fontPx}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  ctx.lineWidth = Math.max(2, Math.round(2 * dpr));
  const draw = (box: number[], colour: string, label: string) => {
    const x = r.x + box[0] * s;
    const y = r.y + box[1] * s;
    const w = (box[2] - box[0]) * s;
    const h = (box[3] - box[1]) * s;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, w, h);
    const tw = ctx.measureText(label).width + 6;
    const ty = y - fontPx - 4 >= r.y ? y - fontPx - 4 : y + h;
    ctx.fillStyle = colour;
    ctx.fillRect(x, ty, tw, fontPx + 4);
    ctx.fillStyle = '#000';
    ctx.fillText(label, x + 3, ty + 2);
  };
  for (const d of frame.result.detections ?? []) draw(d.box, DETECTION_COLOUR, `${d.label} ${d.confidence.toFixed(2)}`);
  for (const t of frame.result.text ?? []) draw(t.box, TEXT_COLOUR, t.text);
}
