/**
 * DB (Differentiable Binarization) post-processing for the PP-OCR text detector, after PaddleOCR's
 * `DBPostProcess`: threshold the probability map, take each connected region of text pixels, score it by
 * the mean probability inside its box, and grow ("unclip") the box, because the model is trained on text
 * regions shrunk by a fixed ratio.
 *
 * PaddleOCR fits a rotated rectangle to each contour; we keep axis-aligned boxes because the results format
 * (DESIGN §6) has only [x1, y1, x2, y2], and video overlays, signs and plates are close to horizontal. For a
 * rectangle, the polygon offset PaddleOCR does with pyclipper moves every side out by the same distance
 * `area * unclipRatio / perimeter`, which is what we do here.
 */

export interface DbOptions {
  /** A map pixel is text when its probability exceeds this (PaddleOCR det_db_thresh). */
  threshold: number;
  /** A region is kept when its mean probability reaches this (det_db_box_thresh). */
  boxThreshold: number;
  /** How far the shrunk region is grown back (det_db_unclip_ratio). */
  unclipRatio: number;
  /** Regions whose shorter side is under this many map pixels are noise (PaddleOCR min_size). */
  minSize: number;
  /** Upper bound on regions examined, so a noisy map cannot make a frame arbitrarily slow. */
  maxCandidates: number;
}

/** PP-OCRv4's own inference defaults. */
export const DB_DEFAULTS: DbOptions = {
  threshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 1.5,
  minSize: 3,
  maxCandidates: 1000,
};

export interface MapBox {
  /** [x1, y1, x2, y2] in probability-map pixels, pixel edges (x2, y2 exclusive), inside the map. */
  box: [number, number, number, number];
  /** Mean probability inside the region's box before unclipping. */
  score: number;
}

/** Text boxes in a [height, width] probability map, in the order the regions are first met (row-major). */
export function dbBoxes(prob: Float32Array, width: number, height: number, options: DbOptions = DB_DEFAULTS): MapBox[] {
  if (prob.length !== width * height) {
    throw new RangeError(`probability map has ${prob.length} values, expected ${width}x${height}`);
  }
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const out: MapBox[] = [];
  let candidates = 0;
  for (let start = 0; start < prob.length && candidates < options.maxCandidates; start++) {
    if (seen[start] || prob[start] <= options.threshold) continue;
    candidates++;
    // Flood fill with 8-connectivity, as OpenCV's contour tracing (used by PaddleOCR) joins diagonal pixels.
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let minX = width;
    let minY = height;
    let maxX = -1;
    let maxY = -1;
    while (top > 0) {
      const i = stack[--top];
      const x = i % width;
      const y = (i - x) / width;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (!seen[j] && prob[j] > options.threshold) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    const box = regionBox(prob, width, height, minX, minY, maxX + 1, maxY + 1, options);
    if (box) out.push(box);
  }
  return out;
}

function regionBox(
  prob: Float32Array,
  width: number,
  height: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  options: DbOptions,
): MapBox | undefined {
  const w = x2 - x1;
  const h = y2 - y1;
  if (Math.min(w, h) < options.minSize) return undefined;
  let sum = 0;
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) sum += prob[y * width + x];
  }
  const score = sum / (w * h);
  if (score < options.boxThreshold) return undefined;
  const d = (w * h * options.unclipRatio) / (2 * (w + h));
  const box: [number, number, number, number] = [
    Math.max(0, x1 - d),
    Math.max(0, y1 - d),
    Math.min(width, x2 + d),
    Math.min(height, y2 + d),
  ];
  // PaddleOCR drops boxes still thin after unclipping: they are rules and edges, not text.
  if (Math.min(box[2] - box[0], box[3] - box[1]) < options.minSize + 2) return undefined;
  return { box, score };
}
