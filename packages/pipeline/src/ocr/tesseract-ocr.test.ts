import { describeOcrEngine } from './ocr-engine.suite';
import { TesseractOcr } from './tesseract-ocr';

// Two workers: enough to exercise the pool without starving the other tests on a 2-core machine.
describeOcrEngine('TesseractOcr', () => TesseractOcr.create({ workers: 2 }));
