import { z } from 'zod';

/**
 * Building blocks shared by every endpoint of `/api/v1`. Browser-safe: imports only zod.
 * Ids are opaque strings; times are ISO-8601 instants.
 */
export const idSchema = z.string().min(1).max(200);
export const isoInstantSchema = z.string().min(1).max(40);
export const emailSchema = z.string().trim().toLowerCase().pipe(z.email()).describe('e-mail address');

/** Every 4xx/5xx answer has this shape; `field` names the first offending input field when there is one. */
export const apiErrorSchema = z.object({
  error: z.enum([
    'validation',
    'unauthorized',
    'forbidden',
    'not-found',
    'conflict',
    'connection-failed',
    'rate-limited',
    'payload-too-large',
    'unavailable',
    'internal',
  ]),
  message: z.string(),
  field: z.string().nullable(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** For connection-failed: why the test call failed (SPEC §3). */
  reason: z
    .enum(['bad-url', 'unreachable', 'tls', 'unauthorized', 'missing-permission', 'blocked-url', 'invalid', 'other'])
    .optional(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

export const sideSchema = z.enum(['crm', 'calendar']);
export type Side = z.infer<typeof sideSchema>;

export const limitQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const okSchema = z.object({ ok: z.literal(true) });
