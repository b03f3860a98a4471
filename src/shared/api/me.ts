import { z } from 'zod';
import { idSchema } from './common';

/** GET /api/v1/me: who the token belongs to. */
export const meResponseSchema = z.object({
  tenantId: idSchema,
  userId: idSchema,
  email: z.string(),
  displayName: z.string().nullable(),
  isAdmin: z.boolean(),
});
export type MeResponse = z.infer<typeof meResponseSchema>;
