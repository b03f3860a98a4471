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

/**
 * GET /api/v1/auth/config (no sign-in needed): how the pane signs in. Entra: the connector's app registration,
 * the authority and the API scope to request (through Nested App Authentication or the dialog fallback).
 */
export const authConfigResponseSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('dev') }),
  z.object({
    mode: z.literal('entra'),
    clientId: z.string().min(1),
    authority: z.url(),
    scopes: z.array(z.string()).min(1),
  }),
]);
export type AuthConfigResponse = z.infer<typeof authConfigResponseSchema>;
