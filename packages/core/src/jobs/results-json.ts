import { Readable } from 'node:stream';
import type { ResultsIndexBuilder } from './results-index';
import type { FrameResult } from './video-pipeline';

/**
 * The stored results file is the bare JSON array of DESIGN §6, written one frame at a time so a
 * long video never holds all its results in memory. The API wraps it in the response envelope.
 * With `index`, each frame's byte span is recorded for paged reads (results-index.ts).
 */
export function resultsJsonStream(frames: AsyncIterable<FrameResult>, index?: ResultsIndexBuilder): Readable {
  async function* chunks() {
    let offset = 1;
    let first = true;
    yield '[';
    for await (const frame of frames) {
      const json = JSON.stringify({ frame_index: frame.frame_index, result: frame.result });
      if (!first) offset += 1;
      const bytes = Buffer.byteLength(json, 'utf8');
      index?.add({ frameIndex: frame.frame_index, start: offset, end: offset + bytes });
      offset += bytes;
      yield (first ? '' : ',') + json;
      first = false;
    }
    yield ']';
  }
  return Readable.from(chunks(), { objectMode: false });
}
