import { z } from 'zod';
import { activityTypeSchema } from '../settings';
import { idSchema, isoInstantSchema } from './common';
import { conflictSchema, trailEntrySchema } from './sync';

/** GET /api/v1/items/lookup: exactly one of eventId, iCalUId, email (SPEC §1 item panel). */
export const itemLookupQuerySchema = z
  .object({
    eventId: z.string().min(1).max(1000).optional(),
    /** With eventId, for an occurrence or exception: the REST id of its series (Office.js item.seriesId). */
    seriesId: z.string().min(1).max(1000).optional(),
    iCalUId: z.string().min(1).max(1000).optional(),
    email: z.string().trim().toLowerCase().pipe(z.email()).optional(),
    /**
     * With eventId, what Outlook shows of the item (Office.js subject, start, organizer): the last resort when the
     * user's calendar connection cannot resolve an Outlook item id (Google, CalDAV) — a "probable" match.
     */
    subject: z.string().max(1000).optional(),
    start: isoInstantSchema.optional(),
    organizer: z.string().trim().toLowerCase().pipe(z.email()).optional(),
  })
  .refine((q) => [q.eventId, q.iCalUId, q.email].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of eventId, iCalUId, email',
    path: ['eventId'],
  })
  .refine((q) => q.seriesId === undefined || q.eventId !== undefined, {
    message: 'seriesId goes with eventId',
    path: ['seriesId'],
  })
  .refine(
    (q) => (q.subject === undefined && q.start === undefined && q.organizer === undefined) || q.eventId !== undefined,
    {
      message: 'subject, start and organizer go with eventId',
      path: ['subject'],
    },
  );
export type ItemLookupQuery = z.infer<typeof itemLookupQuerySchema>;

/** A CRM contact or lead matched to one of the item's invitees (SPEC §5: e-mails matched case-insensitively). */
export const matchedPersonSchema = z.object({
  email: z.string(),
  name: z.string().nullable(),
  kind: z.enum(['contact', 'lead']),
  contactId: z.string(),
  companyId: z.string().nullable(),
  companyName: z.string().nullable().default(null),
});
export type MatchedPerson = z.infer<typeof matchedPersonSchema>;

/** What the pane's item panel shows for one CRM item. */
export const itemViewSchema = z.object({
  crmId: idSchema,
  type: activityTypeSchema,
  subject: z.string(),
  start: z.string().nullable(),
  url: z.string().nullable(),
  /** Effective Sync-to-calendar flag (stored flag or the default rule of SPEC §4). */
  syncToCalendar: z.boolean(),
  /** null when it can sync; otherwise the sentence the pane shows (e.g. a task without a due date). */
  cannotSyncReason: z.string().nullable(),
  linkedEventId: z.string().nullable(),
  lastSyncedAt: isoInstantSchema.nullable(),
  conflicts: z.array(conflictSchema),
  trail: z.array(trailEntrySchema),
  /** The item's invitees the CRM knows, with their company; empty when none match or the CRM cannot be asked. */
  people: z.array(matchedPersonSchema).default([]),
});
export type ItemView = z.infer<typeof itemViewSchema>;

export const itemLookupResponseSchema = z.object({
  items: z.array(itemViewSchema),
  /**
   * How the items were found: `exact` (absent in older servers: same) by link, id or iCalUId; `probable` by the
   * Outlook item's organiser, start and subject because the calendar connection cannot resolve an Outlook item id;
   * `unresolved` when it cannot and nothing matched that way either.
   */
  match: z.enum(['exact', 'probable', 'unresolved']).optional(),
  /** With probable / unresolved: the calendar connection's name (e.g. "Google Calendar"), for the panel's sentence. */
  calendarName: z.string().optional(),
});
export type ItemLookupResponse = z.infer<typeof itemLookupResponseSchema>;

export const itemIdParamsSchema = z.object({ crmId: idSchema });

/** PUT /api/v1/items/:crmId/sync-flag */
export const syncFlagRequestSchema = z.object({ enabled: z.boolean() });
export type SyncFlagRequest = z.infer<typeof syncFlagRequestSchema>;
export const syncFlagResponseSchema = z.object({ item: itemViewSchema });
export type SyncFlagResponse = z.infer<typeof syncFlagResponseSchema>;
