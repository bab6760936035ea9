import type { Readable } from 'node:stream';
import type { ObjectStorage } from '../storage/object-storage';

/**
 * `<id>_results.index` sits beside the results JSON: one fixed 24-byte entry per frame, in frame
 * order — frame_index, the byte offset where the frame's object starts in the JSON, and where it
 * ends (exclusive), each an unsigned 64-bit little-endian integer. A page of results is then two
 * range reads (the entries, then the JSON bytes they point at), however far into the file it is.
 */
export const INDEX_ENTRY_BYTES = 24;

export interface IndexEntry {
  frameIndex: number;
  start: number;
  end: number;
}

/** Collects entries while the JSON is written; 24 bytes per frame (2.4 MB for 100,000 frames). */
export class ResultsIndexBuilder {
  private readonly chunks: Buffer[] = [];

  add(entry: IndexEntry): void {
    const b = Buffer.alloc(INDEX_ENTRY_BYTES);
    b.writeBigUInt64LE(BigInt(entry.frameIndex), 0);
    b.writeBigUInt64LE(BigInt(entry.start), 8);
    b.writeBigUInt64LE(BigInt(entry.end), 16);
    this.chunks.push(b);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export function decodeEntries(buf: Buffer): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (let at = 0; at + INDEX_ENTRY_BYTES <= buf.length; at += INDEX_ENTRY_BYTES) {
    entries.push({
      frameIndex: Number(buf.readBigUInt64LE(at)),
      start: Number(buf.readBigUInt64LE(at + 8)),
      end: Number(buf.readBigUInt64LE(at + 16)),
    });
  }
  return entries;
}

export interface ResultsPage {
  /** The frames' JSON objects joined by commas (no brackets); null when the page is empty. */
  body: Readable | null;
  /** frame_index of the first frame after this page; null when this page reaches the end. */
  nextFromFrame: number | null;
}

/**
 * Frames with frame_index >= fromFrame, at most `limit`. `strideHint` (the job's frame_stride)
 * guesses the entry position, so the usual page reads the index once: entries from just before the
 * guess to one past the page. A wrong guess (frames the decoder skipped) falls back to a binary
 * search of the index by range reads. NotFoundError when the index does not exist.
 */
export async function readResultsPage(
  storage: ObjectStorage,
  keys: { json: string; index: string },
  fromFrame: number,
  limit: number,
  strideHint: number,
): Promise<ResultsPage> {
  const count = (await storage.size(keys.index)) / INDEX_ENTRY_BYTES;
  if (!Number.isInteger(count)) throw new Error(`${keys.index} is not a whole number of entries`);
  const guess = Math.min(count, Math.ceil(fromFrame / Math.max(1, strideHint)));
  let first = Math.max(0, guess - 1);
  // From the entry before the guess (to confirm it) to one past the page (to know what follows).
  let entries = await readEntries(storage, keys.index, first, guess + limit + 1, count);
  let skip = entries.findIndex((e) => e.frameIndex >= fromFrame);
  const readToEnd = first + entries.length === count;
  // The guess holds when the entry before the page is below fromFrame (or is the first entry) and
  // what was read reaches one past the page (or the end of the index).
  const guessHeld =
    (first === 0 || (entries.length > 0 && entries[0].frameIndex < fromFrame)) &&
    (skip >= 0 ? skip + limit < entries.length || readToEnd : readToEnd);
  if (!guessHeld) {
    first = await lowerBound(storage, keys.index, count, fromFrame);
    entries = await readEntries(storage, keys.index, first, first + limit + 1, count);
    skip = entries.findIndex((e) => e.frameIndex >= fromFrame);
  }
  if (skip < 0) return { body: null, nextFromFrame: null };
  const page = entries.slice(skip, skip + limit);
  const after = entries[skip + limit];
  if (page.length === 0) return { body: null, nextFromFrame: null };
  const body = await storage.get(keys.json, { start: page[0].start, end: page[page.length - 1].end - 1 });
  return { body, nextFromFrame: after ? after.frameIndex : null };
}

/** Entries [from, to) clipped to the index. */
async function readEntries(
  storage: ObjectStorage,
  key: string,
  from: number,
  to: number,
  count: number,
): Promise<IndexEntry[]> {
  const end = Math.min(to, count);
  if (from >= end) return [];
  const stream = await storage.get(key, { start: from * INDEX_ENTRY_BYTES, end: end * INDEX_ENTRY_BYTES - 1 });
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return decodeEntries(Buffer.concat(chunks));
}

/** The position of the first entry with frameIndex >= fromFrame (count when none), by range reads. */
async function lowerBound(storage: ObjectStorage, key: string, count: number, fromFrame: number): Promise<number> {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const [entry] = await readEntries(storage, key, mid, mid + 1, count);
    if (entry.frameIndex < fromFrame) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
