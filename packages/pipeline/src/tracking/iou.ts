import { iou } from '../iou';
import type { Box } from '../types';

export { iou };

/** IoU of the two boxes each widened by `buffer` times its own width and height on every side (C-BIoU). */
export function bufferedIou(a: Box, b: Box, buffer: number): number {
  if (buffer === 0) return iou(a, b);
  const grow = (x: Box): Box => {
    const dw = (x[2] - x[0]) * buffer;
    const dh = (x[3] - x[1]) * buffer;
    return [x[0] - dw, x[1] - dh, x[2] + dw, x[3] + dh];
  };
  return iou(grow(a), grow(b));
}
