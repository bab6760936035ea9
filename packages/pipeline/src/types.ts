/** A decoded image: packed RGB, 3 bytes per pixel, row-major, no padding. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

/** A frame of the source video. index is its 0-based position in the source, not in the selection. */
export interface Frame extends RgbImage {
  index: number;
  timestampMs: number;
  /**
   * The same frame scaled by ffmpeg to fit the detector's input, when the reader was asked for it
   * (the frame itself when it already fits): every detecting pipeline detects on these pixels.
   */
  fitted?: RgbImage;
}

/** [x1, y1, x2, y2] in source-image pixels. */
export type Box = [number, number, number, number];

export interface Detection {
  label: string;
  class_id: number;
  confidence: number;
  box: Box;
}

export interface TextLine {
  text: string;
  /** 0..1 */
  confidence: number;
  box: Box;
}

/** An object detector; one instance per process, reused for every frame. */
export interface Detector {
  detect(image: RgbImage): Promise<Detection[]>;
  close(): Promise<void>;
}

/** Reads lines of text in an image; one instance per process. */
export interface Ocr {
  read(image: RgbImage): Promise<TextLine[]>;
  close(): Promise<void>;
}
