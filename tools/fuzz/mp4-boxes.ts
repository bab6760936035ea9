/**
 * Just enough ISO-BMFF parsing to aim mutations: where each box starts, its size field and its
 * payload, for the top level and inside the containers of moov.
 */
export interface Box {
  type: string;
  /** Offset of the box's 32-bit size field. */
  start: number;
  /** Offset just past the box. */
  end: number;
  /** Offset of the payload (after size, type and any 64-bit size). */
  payload: number;
  depth: number;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'dinf', 'udta', 'mvex', 'moof', 'traf']);

/** Every box found, parents before children; parsing stops quietly at the first broken size. */
export function listBoxes(data: Buffer, from = 0, to = data.length, depth = 0, out: Box[] = []): Box[] {
  let pos = from;
  while (pos + 8 <= to) {
    let size = data.readUInt32BE(pos);
    const type = data.toString('latin1', pos + 4, pos + 8);
    let payload = pos + 8;
    if (size === 1) {
      if (pos + 16 > to) break;
      size = Number(data.readBigUInt64BE(pos + 8));
      payload = pos + 16;
    } else if (size === 0) {
      size = to - pos;
    }
    if (size < payload - pos || pos + size > to) break;
    const box = { type, start: pos, end: pos + size, payload, depth };
    out.push(box);
    if (CONTAINERS.has(type)) listBoxes(data, payload, box.end, depth + 1, out);
    pos += size;
  }
  return out;
}

export function findBoxes(data: Buffer, type: string): Box[] {
  return listBoxes(data).filter((b) => b.type === type);
}

/**
 * Sets the duration of mvhd, and of every tkhd and mdhd, to `seconds` in that box's own timescale
 * (the movie's for tkhd): a file that claims to be far longer than it is.
 */
export function claimDuration(data: Buffer, seconds: number): Buffer {
  const out = Buffer.from(data);
  const boxes = listBoxes(out);
  const mvhd = boxes.find((b) => b.type === 'mvhd');
  if (!mvhd) throw new Error('no mvhd box to claim a duration in');
  const movieScale = timescaleOf(out, mvhd);
  writeDuration(out, mvhd, seconds * movieScale);
  for (const b of boxes) {
    if (b.type === 'tkhd') writeDuration(out, b, seconds * movieScale);
    if (b.type === 'mdhd') writeDuration(out, b, seconds * timescaleOf(out, b));
  }
  return out;
}

// mvhd and mdhd: version(1) flags(3) creation modification timescale duration; tkhd has track_ID
// and a reserved word where the others have their timescale.
function timescaleOf(data: Buffer, box: Box): number {
  const v1 = data[box.payload] === 1;
  return data.readUInt32BE(box.payload + 4 + (v1 ? 16 : 8));
}

function writeDuration(data: Buffer, box: Box, value: number): void {
  const v1 = data[box.payload] === 1;
  const at = box.payload + 4 + (v1 ? 20 : 12);
  if (v1) data.writeBigUInt64BE(BigInt(Math.round(value)), at);
  else data.writeUInt32BE(Math.min(0xffffffff, Math.round(value)), at);
}
