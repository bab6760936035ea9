import { ValidationError } from '@video-jobs/core/errors';

/**
 * What a pipeline runs on each frame; its result holds `detections` and/or `text` accordingly.
 * `track` gives each detection a `track_id` across the job's frames, so it needs `detect`.
 */
export type PipelineStage = 'detect' | 'ocr' | 'track';

const STAGES: readonly PipelineStage[] = ['detect', 'ocr', 'track'];

export interface PipelineDefinition {
  id: string;
  description: string;
  stages: readonly PipelineStage[];
}

export const DEFAULT_PIPELINE_ID = 'yolo_ocr';

export const PIPELINES: readonly PipelineDefinition[] = Object.freeze([
  {
    id: 'yolo_ocr',
    description: 'objects (YOLO) with track ids, and text (OCR), on each selected frame',
    stages: ['detect', 'track', 'ocr'],
  },
  { id: 'yolo', description: 'objects (YOLO) on each selected frame', stages: ['detect'] },
  { id: 'ocr', description: 'text (OCR) on each selected frame', stages: ['ocr'] },
  {
    id: 'yolo_track',
    description: 'objects (YOLO) on each selected frame, each with a track_id stable across frames',
    stages: ['detect', 'track'],
  },
]);

/**
 * The named pipelines a job may ask for. Checked when built: every id maps to exactly one
 * definition, and each runs at least one known stage, so a bad table stops the process at start.
 */
export class PipelineRegistry {
  private readonly byId: ReadonlyMap<string, PipelineDefinition>;

  constructor(definitions: readonly PipelineDefinition[] = PIPELINES) {
    const byId = new Map<string, PipelineDefinition>();
    for (const def of definitions) {
      if (!/^[a-z][a-z0-9_]*$/.test(def.id)) throw new Error(`pipeline registry: invalid id "${def.id}"`);
      if (byId.has(def.id)) throw new Error(`pipeline registry: id "${def.id}" is registered more than once`);
      const badStages =
        def.stages.some((s) => !STAGES.includes(s)) || (def.stages.includes('track') && !def.stages.includes('detect'));
      if (def.stages.length === 0 || badStages || new Set(def.stages).size !== def.stages.length) {
        throw new Error(`pipeline registry: "${def.id}" has invalid stages [${def.stages.join(', ')}]`);
      }
      byId.set(def.id, Object.freeze({ ...def, stages: Object.freeze([...def.stages]) }));
    }
    if (byId.size === 0) throw new Error('pipeline registry: no pipelines registered');
    this.byId = byId;
  }

  list(): readonly PipelineDefinition[] {
    return [...this.byId.values()];
  }

  ids(): readonly string[] {
    return [...this.byId.keys()];
  }

  /** The pipeline with this id; an unknown id is a ValidationError (HTTP 400) naming the valid ones. */
  get(id: string): PipelineDefinition {
    const def = this.byId.get(id);
    if (!def) throw new ValidationError(`unknown pipeline_id "${id}"; valid pipelines: ${this.ids().join(', ')}`);
    return def;
  }

  /** Whether any registered pipeline needs this stage (so the service knows what to load). */
  uses(stage: PipelineStage): boolean {
    return this.list().some((d) => d.stages.includes(stage));
  }
}
