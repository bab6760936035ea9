import { z } from 'zod';
import { ValidationError } from '@video-jobs/core';

/** Beyond this a stride or frame cap is a typo, not a request (a day of 60 fps video is 5.2M frames). */
const ABSURD = 10_000_000;

const positiveInt = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number >= 1`)
    .transform(Number)
    .pipe(z.number().int().min(1, `${name} must be >= 1`).max(ABSURD, `${name} must be <= ${ABSURD}`));

export interface SubmitParams {
  pipelineId: string;
  frameStride: number;
  maxFrames: number | null;
}

/**
 * Parameters come as form fields or in the query string (DESIGN §2). A value given twice, or in
 * both places with different values, is refused rather than guessed.
 */
export function parseSubmitParams(
  query: Record<string, unknown>,
  body: Record<string, unknown>,
  pipelineIds: readonly string[],
  defaultPipeline: string,
): SubmitParams {
  const pick = (name: string): string | undefined => {
    const values = [query[name], body[name]].flat().filter((v) => v !== undefined);
    if (values.some((v) => typeof v !== 'string')) throw new ValidationError(`${name} must be a single value`);
    if (new Set(values).size > 1) throw new ValidationError(`${name} was given more than once with different values`);
    return values[0] as string | undefined;
  };
  const schema = z.object({
    pipeline_id: z
      .string()
      .trim()
      .refine((id) => pipelineIds.includes(id), {
        message: `pipeline_id must be one of: ${pipelineIds.join(', ')}`,
      })
      .default(defaultPipeline),
    frame_stride: positiveInt('frame_stride').default(1),
    max_frames: positiveInt('max_frames').optional(),
  });
  const result = schema.safeParse({
    pipeline_id: pick('pipeline_id'),
    frame_stride: pick('frame_stride'),
    max_frames: pick('max_frames'),
  });
  if (!result.success) {
    throw new ValidationError(result.error.issues.map((i) => i.message).join('; '));
  }
  const p = result.data;
  return { pipelineId: p.pipeline_id, frameStride: p.frame_stride, maxFrames: p.max_frames ?? null };
}
