import type { Box, Detection, TextLine } from './types';
import type { PipelineStage } from './pipeline-registry';

/** Fixed rounding (DESIGN §6) so the same input always serialises to the same bytes. */
export const round = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  const r = Math.round(value * f) / f;
  return r === 0 ? 0 : r; // no "-0"
};

/** Scales a box from delivered-frame pixels to source pixels, clipped to the source, 1 decimal. */
export function toSourceBox(box: Box, sx: number, sy: number, width: number, height: number): Box {
  const clip = (v: number, max: number) => Math.min(max, Math.max(0, v));
  return [
    round(clip(box[0] * sx, width), 1),
    round(clip(box[1] * sy, height), 1),
    round(clip(box[2] * sx, width), 1),
    round(clip(box[3] * sy, height), 1),
  ];
}

export interface Scale {
  sx: number;
  sy: number;
  width: number;
  height: number;
}

/** Detections as results carry them: fixed key order, rounded, best first with a total tie-break. */
export function formatDetections(detections: Detection[], s: Scale): Detection[] {
  return detections
    .map((d) => ({
      label: d.label,
      class_id: d.class_id,
      confidence: round(d.confidence, 4),
      box: toSourceBox(d.box, s.sx, s.sy, s.width, s.height),
    }))
    .sort(
      (a, b) =>
        b.confidence - a.confidence ||
        a.class_id - b.class_id ||
        a.box[0] - b.box[0] ||
        a.box[1] - b.box[1] ||
        a.box[2] - b.box[2] ||
        a.box[3] - b.box[3],
    );
}

/** Text lines in the engine's reading order, with fixed key order and rounding. */
export function formatText(lines: TextLine[], s: Scale): TextLine[] {
  return lines.map((l) => ({
    text: l.text,
    confidence: round(l.confidence, 4),
    box: toSourceBox(l.box, s.sx, s.sy, s.width, s.height),
  }));
}

/** The `result` object of one frame for a pipeline's stages (DESIGN §6): keys always in this order. */
export function buildResult(
  stages: readonly PipelineStage[],
  timestampMs: number,
  detections?: Detection[],
  text?: TextLine[],
): Record<string, unknown> {
  const result: Record<string, unknown> = { timestamp_ms: timestampMs };
  if (stages.includes('detect')) result.detections = detections ?? [];
  if (stages.includes('ocr')) result.text = text ?? [];
  return result;
}
