import { ValidationError } from '@video-jobs/core/errors';
import { DEFAULT_PIPELINE_ID, PipelineRegistry } from './pipeline-registry';

describe(PipelineRegistry.name, () => {
  const registry = new PipelineRegistry();

  it('lists yolo_ocr (the default), yolo, ocr and yolo_track', () => {
    expect(registry.ids()).toEqual(['yolo_ocr', 'yolo', 'ocr', 'yolo_track']);
    expect(registry.ids()).toContain(DEFAULT_PIPELINE_ID);
    expect(registry.get('yolo_ocr').stages).toEqual(['detect', 'track', 'ocr']);
    expect(registry.get('yolo_track').stages).toEqual(['detect', 'track']);
    expect(registry.get('yolo').stages).toEqual(['detect']);
    expect(registry.get('ocr').stages).toEqual(['ocr']);
  });

  it('refuses an unknown id with a ValidationError naming the valid ones', () => {
    expect(() => registry.get('segment')).toThrow(ValidationError);
    expect(() => registry.get('segment')).toThrow(
      'unknown pipeline_id "segment"; valid pipelines: yolo_ocr, yolo, ocr, yolo_track',
    );
  });

  it('refuses at start an id registered twice', () => {
    expect(
      () =>
        new PipelineRegistry([
          { id: 'yolo', description: 'a', stages: ['detect'] },
          { id: 'yolo', description: 'b', stages: ['ocr'] },
        ]),
    ).toThrow(/registered more than once/);
  });

  it('refuses at start a pipeline with no or unknown stages', () => {
    expect(() => new PipelineRegistry([{ id: 'empty', description: '', stages: [] }])).toThrow(/invalid stages/);
    expect(() => new PipelineRegistry([{ id: 'x', description: '', stages: ['segment' as never] }])).toThrow(
      /invalid stages/,
    );
    expect(
      () => new PipelineRegistry([{ id: 'tracks_of_nothing', description: '', stages: ['ocr', 'track'] }]),
    ).toThrow(/invalid stages/);
  });
});
