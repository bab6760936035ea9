import { UnsupportedMediaError } from '@video-jobs/core/errors';

/** One line of ffmpeg/ffprobe stderr, as printed with `-loglevel level+...`. */
export interface LogLine {
  level: string;
  text: string;
}

const LINE = /^(?:\[[^\]]+ @ 0x[0-9a-f]+\] )?\[(panic|fatal|error|warning|info|verbose|debug|trace)\] (.*)$/;

export function parseLogLine(raw: string): LogLine {
  const m = LINE.exec(raw);
  return m ? { level: m[1], text: m[2].trim() } : { level: 'unknown', text: raw.trim() };
}

export const isErrorLevel = (line: LogLine) =>
  line.level === 'error' || line.level === 'fatal' || line.level === 'panic';

/** Splits a byte stream into lines (\n or \r) and hands each complete one to `onLine`. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const parts = (rest + chunk.toString('utf8')).split(/\r?\n|\r/);
      rest = parts.pop() ?? '';
      for (const p of parts) if (p) onLine(p);
    },
    end() {
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

/**
 * Turns what ffmpeg or ffprobe said about a file it could not read into a message a user can act
 * on. The raw ffmpeg line is kept at the end for whoever debugs it.
 */
export function mediaErrorFromLog(messages: string[], fallback = 'could not decode video'): UnsupportedMediaError {
  const all = messages.join('\n');
  const first = messages.find(Boolean);
  const detail = first ? ` (ffmpeg: ${first})` : '';
  if (/moov atom not found/i.test(all)) return new UnsupportedMediaError('file is truncated: moov atom not found');
  if (/partial file/i.test(all)) return new UnsupportedMediaError('file is truncated: its video data ends early');
  if (/matches no streams|does not contain any stream|no video stream/i.test(all))
    return new UnsupportedMediaError('no video stream');
  // The container opened but frames inside it are damaged: a decoder error, not a format problem.
  if (/error while decoding|corrupt|NAL unit|concealing|decode_slice/i.test(all)) {
    return new UnsupportedMediaError(`could not decode video: some frames are damaged${detail}`);
  }
  if (/Invalid data found when processing input/i.test(all))
    return new UnsupportedMediaError(`not an MP4 that ffmpeg can read${detail}`);
  return new UnsupportedMediaError(`${fallback}${detail}`);
}
