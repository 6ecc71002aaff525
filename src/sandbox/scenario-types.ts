/** Building blocks shared by every emulator's part of the scenario schema. */
import { z } from 'zod';
import { parseDuration } from '../core/clock.js';

/** An age or a span: `90d`, `12h`, `30m`, `2w`. Parsed to milliseconds. */
export const durationSchema = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, { message: 'expected a duration such as 90d, 12h, 30m or 2w' })
  .transform((text) => parseDuration(text) as number);

export const tagsSchema = z.record(z.string(), z.string());

export const accountIdSchema = z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id');

export const regionNameSchema = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'expected an AWS region name such as us-east-1');

/** AWS tags as the APIs carry them. */
export function toTagList(tags: Record<string, string> | undefined): Array<{ Key: string; Value: string }> {
  return Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
}
