import { z } from 'zod';
import { activityTypeSchema } from './settings';

/**
 * What the pane needs to render a provider's Connect form (SPEC §3), served by GET /api/v1/providers.
 * Each connector in src/providers/** declares one; nothing secret is in it.
 */
export const providerFieldSchema = z.object({
  key: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/),
  label: z.string(),
  kind: z.enum(['text', 'password', 'email', 'select']),
  required: z.boolean(),
  options: z.array(z.object({ value: z.string(), label: z.string() })).optional(),
  placeholder: z.string().optional(),
  help: z.string().optional(),
});
export type ProviderField = z.infer<typeof providerFieldSchema>;

/**
 * One way to authenticate: `oauth` (redirect through the Office dialog; the fields, if any, are asked first,
 * e.g. a data centre), `fields` (a form: API token, user + password…), `entra` (the user's own Microsoft 365
 * sign-in, no form), `none` (the built-in Sandbox CRM).
 */
export const authMethodSchema = z.object({
  id: z.string(),
  kind: z.enum(['oauth', 'fields', 'entra', 'none']),
  label: z.string(),
  fields: z.array(providerFieldSchema),
});
export type AuthMethod = z.infer<typeof authMethodSchema>;

export const providerDescriptorSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  side: z.enum(['crm', 'calendar']),
  label: z.string(),
  authMethods: z.array(authMethodSchema).min(1),
  /** Whether the Custom URL checkbox is shown, and whether the URL is mandatory. */
  customUrl: z.enum(['required', 'optional', 'none']),
  urlLabel: z.string().optional(),
  urlPlaceholder: z.string().optional(),
  /**
   * Shown under the Connect form: what the vendor org may have (a field, a setting, an app) that the connector
   * does not need but uses when it is there, and what the admin gains by adding it.
   */
  notes: z.array(z.string()).optional(),
  capabilities: z.object({
    activityTypes: z.array(activityTypeSchema),
    recurrence: z.boolean(),
    invitees: z.boolean(),
    webhooks: z.boolean(),
    /** Calendar side: has several calendars to pick target/source from. */
    calendars: z.boolean(),
  }),
});
export type ProviderDescriptor = z.infer<typeof providerDescriptorSchema>;
