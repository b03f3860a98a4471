import { z } from 'zod';
import { providerDescriptorSchema } from '../providers';
import { idSchema, isoInstantSchema, sideSchema } from './common';

export { providerDescriptorSchema, providerFieldSchema, authMethodSchema } from '../providers';
export type { ProviderDescriptor, ProviderField, AuthMethod } from '../providers';

/** A provider as GET /api/v1/providers lists it: its descriptor plus whether this server can offer it now. */
export const providerEntrySchema = providerDescriptorSchema.extend({
  /** False when e.g. the OAuth client is not configured on this server; the pane shows the reason. */
  available: z.boolean(),
  unavailableReason: z.string().nullable(),
});
export type ProviderEntry = z.infer<typeof providerEntrySchema>;

/** GET /api/v1/providers */
export const providersResponseSchema = z.object({
  crm: z.array(providerEntrySchema),
  calendar: z.array(providerEntrySchema),
});
export type ProvidersResponse = z.infer<typeof providersResponseSchema>;

/** A stored connection as the pane sees it: never a secret. */
export const connectionSchema = z.object({
  side: sideSchema,
  provider: z.string(),
  status: z.enum(['connected', 'needs-reauth', 'error']),
  account: z.string().nullable(),
  url: z.string().nullable(),
  connectedAt: isoInstantSchema,
  /** When the provider says the authorization expires (warn before it does, SPEC §7). */
  tokenExpiresAt: isoInstantSchema.nullable(),
  lastError: z.string().nullable(),
});
export type Connection = z.infer<typeof connectionSchema>;

/** GET /api/v1/connections */
export const connectionsResponseSchema = z.object({
  crm: connectionSchema.nullable(),
  calendar: connectionSchema.nullable(),
});
export type ConnectionsResponse = z.infer<typeof connectionsResponseSchema>;

export const connectionSideParamsSchema = z.object({ side: sideSchema });

/** POST /api/v1/connections/:side: manual connect; the server tests the credentials before saving. */
export const connectRequestSchema = z.object({
  provider: z.string().min(1).max(64),
  /** Auth method id from the descriptor (a `fields`, `entra` or `none` method). */
  method: z.string().min(1).max(64),
  /** Custom URL (self-hosted or regional CRMs, CalDAV). */
  url: z.url().max(2000).optional(),
  /** The method's form fields by key (user name, app password, API token…). */
  fields: z.record(z.string().max(64), z.string().max(4096)).default({}),
});
export type ConnectRequest = z.input<typeof connectRequestSchema>;

/** POST /api/v1/connections/:side/oauth/start */
export const oauthStartRequestSchema = z.object({
  provider: z.string().min(1).max(64),
  method: z.string().min(1).max(64),
  url: z.url().max(2000).optional(),
  fields: z.record(z.string().max(64), z.string().max(4096)).default({}),
});
export type OAuthStartRequest = z.input<typeof oauthStartRequestSchema>;

export const oauthStartResponseSchema = z.object({
  /** Open this in the Office dialog; the provider redirects to /api/v1/oauth/callback. */
  authorizeUrl: z.string(),
  state: z.string(),
});
export type OAuthStartResponse = z.infer<typeof oauthStartResponseSchema>;

/** GET /api/v1/oauth/callback (provider redirect; answers an HTML page that messages the dialog parent). */
export const oauthCallbackQuerySchema = z.object({
  state: z.string().min(1).max(500),
  code: z.string().min(1).max(4096).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
  // Zoho's multi-DC redirect: the user's data centre (checked against Zoho's accounts hosts by the connector).
  location: z.string().max(20).optional(),
  'accounts-server': z.string().max(200).optional(),
});

/** DELETE /api/v1/connections/:side */
export const disconnectResponseSchema = z.object({
  disconnected: z.literal(true),
  /** The provider's revocation endpoint was called successfully. */
  revoked: z.boolean(),
  automaticSync: z.literal(false),
});
export type DisconnectResponse = z.infer<typeof disconnectResponseSchema>;

export const calendarInfoSchema = z.object({
  id: idSchema,
  name: z.string(),
  isDefault: z.boolean(),
  canWrite: z.boolean(),
  color: z.string().nullable().optional(),
});
export type CalendarInfoDto = z.infer<typeof calendarInfoSchema>;

/** GET /api/v1/connections/calendar/calendars and PUT (choice of target and source calendars). */
export const calendarsResponseSchema = z.object({
  calendars: z.array(calendarInfoSchema),
  targetCalendarId: idSchema.nullable(),
  sourceCalendarIds: z.array(idSchema),
});
export type CalendarsResponse = z.infer<typeof calendarsResponseSchema>;

export const calendarChoiceRequestSchema = z.object({
  targetCalendarId: idSchema,
  sourceCalendarIds: z.array(idSchema).max(50),
});
export type CalendarChoiceRequest = z.infer<typeof calendarChoiceRequestSchema>;
