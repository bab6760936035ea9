import type { Detection } from '../types';
import { ByteTracker, type ByteTrackerOptions } from './byte-tracker';

/** A detection as a tracking pipeline returns it: `track_id` after `box` (key order is part of the format). */
export interface TrackedDetection extends Detection {
  track_id: number;
}

interface FrameResultLike {
  frame_index: number;
  result: Record<string, unknown>;
}

/**
 * Gives every detection of a job's results a track id, frame by frame in order. Runs on the
 * formatted results (source pixels, fixed rounding), so ids depend only on what the results say
 * and the same video always gets the same ids. One tracker per job.
 */
export async function* addTrackIds<T extends FrameResultLike>(
  results: AsyncIterable<T>,
  options: ByteTrackerOptions = {},
): AsyncGenerator<T> {
  const tracker = new ByteTracker(options);
  for await (const r of results) yield withTrackIds(r, tracker);
}

/** One frame's result with ids from this tracker (which must see every sampled frame in order). */
export function withTrackIds<T extends FrameResultLike>(r: T, tracker: ByteTracker): T {
  const detections = r.result.detections as Detection[] | undefined;
  if (!detections) return r;
  const ids = tracker.update(detections);
  const tracked: TrackedDetection[] = detections.map((d, i) => ({
    label: d.label,
    class_id: d.class_id,
    confidence: d.confidence,
    box: d.box,
    track_id: ids[i],
  }));
  return { ...r, result: { ...r.result, detections: tracked } };
}
