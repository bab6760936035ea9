import { Readable } from 'node:stream';
import type { FrameResult } from './video-pipeline';

/**
 * The stored results file is the bare JSON array of DESIGN §6, written one frame at a time so a
 * long video never holds all its results in memory. The API wraps it in the response envelope.
 */
export function resultsJsonStream(frames: AsyncIterable<FrameResult>): Readable {
  async function* chunks() {
    let first = true;
    yield '[';
    for await (const frame of frames) {
      yield (first ? '' : ',') + JSON.stringify({ frame_index: frame.frame_index, result: frame.result });
      first = false;
    }
    yield ']';
  }
  return Readable.from(chunks(), { objectMode: false });
}
