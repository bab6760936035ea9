import { ValidationError } from '@video-jobs/core/errors';
import { createOcr } from './ocr-factory';
import { TesseractOcr } from './tesseract-ocr';

describe('createOcr', () => {
  it('builds a tesseract.js engine with the given floor and worker count', async () => {
    const ocr = await createOcr({ engine: 'tesseract', threads: 1, minConfidence: 0.8 });
    try {
      expect(ocr).toBeInstanceOf(TesseractOcr);
    } finally {
      await ocr.close();
    }
  });

  it('refuses an unknown engine with a ValidationError naming the valid ones', async () => {
    const created = createOcr({ engine: 'easyocr' as never });
    await expect(created).rejects.toBeInstanceOf(ValidationError);
    await expect(created).rejects.toThrow('unknown OCR engine "easyocr"; valid engines: paddle, tesseract');
  });
});
