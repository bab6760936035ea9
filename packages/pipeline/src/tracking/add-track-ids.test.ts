import { addTrackIds } from './add-track-ids';

async function* frames() {
  for (let k = 0; k < 3; k++) {
    yield {
      frame_index: k * 2,
      result: {
        timestamp_ms: k * 80,
        detections: [{ label: 'car', class_id: 2, confidence: 0.8, box: [10 + k, 10, 50 + k, 40] }],
        text: [],
      },
    };
  }
}

describe('addTrackIds', () => {
  it('adds track_id after box in each detection and leaves the rest of the result as it was', async () => {
    const out = [];
    for await (const r of addTrackIds(frames())) out.push(r);
    expect(out.map((r) => r.frame_index)).toEqual([0, 2, 4]);
    expect(JSON.stringify(out[2].result)).toBe(
      '{"timestamp_ms":160,"detections":[{"label":"car","class_id":2,"confidence":0.8,"box":[12,10,52,40],"track_id":1}],"text":[]}',
    );
  });
});
