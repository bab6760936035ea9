export { ByteTracker, DEFAULT_TRACK_MAX_MISSED_FRAMES, type ByteTrackerOptions, type TrackInput } from './byte-tracker';
export { KalmanBoxFilter, type KalmanBoxOptions, type KalmanBoxState } from './kalman-box-filter';
export { linearAssignment, type Assignment } from './linear-assignment';
export { addTrackIds, withTrackIds, type TrackedDetection } from './add-track-ids';
export { iou, bufferedIou } from './iou';
export { TrackHistory } from './track-history';
