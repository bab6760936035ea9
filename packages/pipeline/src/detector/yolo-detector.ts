import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Detection, Detector, RgbImage } from '../types';
import { labelFor } from './coco-labels';
import { decodeUltralytics, decodeYolox } from './decode';
import { letterbox, type LetterboxGeometry } from './letterbox';
import { ModelFormatError, recogniseLayout, type ModelLayout } from './model-layout';
import { nmsPerClass } from './nms';

export interface YoloDetectorOptions {
  /** Any YOLOX or Ultralytics v8/v11 detection export; default: <repo>/models/yolox_nano.onnx. */
  modelPath?: string;
  /** Detections scoring below this are dropped (MIN_CONFIDENCE). Default 0.35. */
  minConfidence?: number;
  /** Overlap above which a lower-scoring box of the same class is suppressed. Default 0.45. */
  iouThreshold?: number;
  /** ONNX Runtime intra-op threads. Default: min(2, cores) — 13.8 ms/frame on 2 cores vs 22.4 with 1. */
  threads?: number;
  /**
   * Let ONNX Runtime's idle threads spin-wait for work (lower latency per run, but the spinning
   * burns CPU that ffmpeg decoding the next frames could use). Default false.
   */
  spinning?: boolean;
}

/** A frame letterboxed into the model's input tensor, ready for inference. */
export interface PreparedInput {
  tensor: ort.Tensor;
  geometry: LetterboxGeometry;
  width: number;
  height: number;
}

export const DEFAULT_MIN_CONFIDENCE = 0.35;

/** `<repo>/models/yolox_nano.onnx`, where `pnpm models:fetch` puts it (same depth from src/ and dist/). */
export function defaultModelPath(): string {
  return path.resolve(__dirname, '..', '..', '..', '..', 'models', 'yolox_nano.onnx');
}

/**
 * YOLO object detection on onnxruntime-node (CPU). One session per detector, created once and
 * reused; the output layout (YOLOX or Ultralytics) is recognised from the model when it is loaded,
 * so a model of another kind is refused at start, not on the first frame.
 */
export class YoloDetector implements Detector {
  private closing?: Promise<void>;
  private lastRun: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly layout: ModelLayout,
    private readonly minConfidence: number,
    private readonly iouThreshold: number,
  ) {}

  static async create(options: YoloDetectorOptions = {}): Promise<YoloDetector> {
    const modelPath = options.modelPath ?? defaultModelPath();
    if (!fs.existsSync(modelPath)) {
      throw new ModelFormatError(
        `detector model not found at ${modelPath}: run \`pnpm models:fetch\` or set MODEL_PATH`,
      );
    }
    const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
    if (!(minConfidence > 0 && minConfidence < 1))
      throw new RangeError(`minConfidence must be in (0, 1), got ${minConfidence}`);
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: options.threads ?? Math.min(2, os.availableParallelism()),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
    });
    try {
      const layout = await inspect(session, modelPath);
      return new YoloDetector(session, layout, minConfidence, options.iouThreshold ?? 0.45);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  /** The model's input size: callers that shrink frames anyway can have the decoder do it. */
  get inputSize(): { width: number; height: number } {
    return { width: this.layout.inputWidth, height: this.layout.inputHeight };
  }

  async detect(image: RgbImage): Promise<Detection[]> {
    return this.decode(await this.infer(await this.prepare(image)));
  }

  /** Letterbox step alone (benchmarks time inference on prepared inputs). */
  async prepare(image: RgbImage): Promise<PreparedInput> {
    const { tensor, geometry } = await letterbox(image, this.layout);
    const dims = [1, 3, this.layout.inputHeight, this.layout.inputWidth];
    return { tensor: new ort.Tensor('float32', tensor, dims), geometry, width: image.width, height: image.height };
  }

  /**
   * Inference alone: the raw output tensor's data. Runs one at a time: a second concurrent run
   * would only fight the first for the same intra-op threads; queued, the next frame's letterbox
   * overlaps this run and its inference starts the moment this one ends.
   */
  infer(input: PreparedInput): Promise<{ output: Float32Array; input: PreparedInput }> {
    if (this.closing) return Promise.reject(new Error('YoloDetector is closed'));
    const run = this.lastRun.then(async () => {
      const results = await this.session.run({ [this.session.inputNames[0]]: input.tensor });
      return { output: results[this.session.outputNames[0]].data as Float32Array, input };
    });
    // The queue only orders runs; each run's failure still reaches its own caller through `run`.
    this.lastRun = run.catch(() => undefined);
    return run;
  }

  /** Decoding and NMS alone: detections in the prepared image's pixels, best first. */
  decode({ output, input }: { output: Float32Array; input: PreparedInput }): Detection[] {
    const { geometry: g, width, height } = input;
    const decode = this.layout.kind === 'yolox' ? decodeYolox : decodeUltralytics;
    const candidates = decode(output, this.layout, g, width, height, this.minConfidence);
    return nmsPerClass(candidates, this.iouThreshold).map((c) => ({
      label: labelFor(c.classId, this.layout.classCount),
      class_id: c.classId,
      confidence: c.score,
      box: c.box,
    }));
  }

  /** Releases the session after any queued runs; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.lastRun.then(() => this.session.release());
    return this.closing;
  }
}

/** Reads input size and output layout; a dynamic output shape is learned from one run on a blank input. */
async function inspect(session: ort.InferenceSession, modelPath: string): Promise<ModelLayout> {
  const input = session.inputMetadata[0];
  const shape = input?.isTensor ? input.shape : [];
  const [, channels, h, w] = shape;
  if (shape.length !== 4 || channels !== 3 || typeof h !== 'number' || typeof w !== 'number' || h < 32 || w < 32) {
    throw new ModelFormatError(
      `unsupported detection model ${modelPath}: input shape [${shape.join(', ')}] is not a fixed [1, 3, H, W] image`,
    );
  }
  const output = session.outputMetadata[0];
  let outShape = output?.isTensor ? output.shape : [];
  if (!outShape.every((d) => typeof d === 'number')) {
    const blank = new ort.Tensor('float32', new Float32Array(3 * h * w), [1, 3, h, w]);
    outShape = (await session.run({ [session.inputNames[0]]: blank }))[session.outputNames[0]].dims;
  }
  try {
    return recogniseLayout(outShape as number[], w, h);
  } catch (err) {
    throw new ModelFormatError(`${modelPath}: ${(err as Error).message}`);
  }
}
