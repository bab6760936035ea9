/**
 * The two detection-model output layouts we read, recognised from the output tensor's shape
 * (see ../shared/models/README.md and docs/pipeline.md):
 * - YOLOX: [1, N, 5 + classes], N = anchors over strides 8/16/32; raw grid offsets, objectness,
 *   sigmoided class scores; input BGR 0..255, letterbox pad 114 placed top-left.
 * - Ultralytics (v8/v11): [1, 4 + classes, N]; boxes already decoded (cx, cy, w, h in input
 *   pixels), class probabilities, no objectness; input RGB / 255, letterbox pad 114 centred.
 */
export type LayoutKind = 'yolox' | 'ultralytics';

export interface ModelLayout {
  kind: LayoutKind;
  classCount: number;
  anchors: number;
  inputWidth: number;
  inputHeight: number;
}

export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

const STRIDES = [8, 16, 32];

/** Anchor points of a detection head with strides 8, 16, 32 on an input of this size. */
export const anchorCount = (w: number, h: number) =>
  STRIDES.reduce((n, s) => n + Math.floor(w / s) * Math.floor(h / s), 0);

export function recogniseLayout(outputShape: readonly number[], inputWidth: number, inputHeight: number): ModelLayout {
  const anchors = anchorCount(inputWidth, inputHeight);
  const [batch, a, b] = outputShape;
  if (outputShape.length === 3 && batch === 1) {
    if (a === anchors && b > 5) return { kind: 'yolox', classCount: b - 5, anchors, inputWidth, inputHeight };
    if (b === anchors && a > 4 && a < anchors)
      return { kind: 'ultralytics', classCount: a - 4, anchors, inputWidth, inputHeight };
  }
  throw new ModelFormatError(
    `unsupported detection model: output shape [${outputShape.join(', ')}] for a ${inputWidth}x${inputHeight} input is ` +
      `neither YOLOX [1, ${anchors}, 5 + classes] nor Ultralytics [1, 4 + classes, ${anchors}]`,
  );
}
