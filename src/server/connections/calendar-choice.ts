/**
 * The target calendar (receives CRM items) and the source calendars (imported into the CRM) of a user (SPEC §3),
 * read and chosen the same way by the API and the CLI. Unset, both default to the account's default calendar.
 */
import type { CalendarInfo } from '../../sync/ports';
import { badRequest, notFound } from '../errors';
import type { Runtime } from '../runtime';

export interface CalendarChoice {
  calendars: (CalendarInfo & { color: string | null })[];
  targetCalendarId: string | null;
  sourceCalendarIds: string[];
}

export async function calendarChoice(rt: Runtime, tenantId: string, userId: string): Promise<CalendarChoice> {
  const { provider, record } = await rt.connectionService.openCalendar(tenantId, userId);
  const calendars = await provider.listCalendars();
  return {
    calendars: calendars.map((c) => ({ ...c, color: c.color ?? null })),
    targetCalendarId: record.options.targetCalendarId ?? calendars.find((c) => c.isDefault)?.id ?? null,
    sourceCalendarIds: record.options.sourceCalendarIds?.length
      ? record.options.sourceCalendarIds
      : calendars.filter((c) => c.isDefault).map((c) => c.id),
  };
}

/** Checks the ids against the account's calendars (the target must be writable) and stores the choice. */
export async function chooseCalendars(
  rt: Runtime,
  tenantId: string,
  userId: string,
  choice: { targetCalendarId: string; sourceCalendarIds: string[] },
): Promise<CalendarChoice> {
  const { provider, record } = await rt.connectionService.openCalendar(tenantId, userId);
  const calendars = await provider.listCalendars();
  const target = calendars.find((c) => c.id === choice.targetCalendarId);
  if (!target) throw notFound('target calendar');
  if (!target.canWrite) throw badRequest('the target calendar is read-only', 'targetCalendarId');
  choice.sourceCalendarIds.forEach((sid, i) => {
    if (!calendars.some((c) => c.id === sid)) throw badRequest(`unknown calendar ${sid}`, `sourceCalendarIds.${i}`);
  });
  const sources = [...new Set(choice.sourceCalendarIds)];
  await rt.connections.setOptions(tenantId, userId, 'calendar', {
    ...record.options,
    targetCalendarId: choice.targetCalendarId,
    sourceCalendarIds: sources,
  });
  return {
    calendars: calendars.map((c) => ({ ...c, color: c.color ?? null })),
    targetCalendarId: choice.targetCalendarId,
    sourceCalendarIds: sources,
  };
}
