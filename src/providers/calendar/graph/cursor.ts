import { z } from 'zod';

/**
 * What the engine stores for us between runs: the delta link of one calendar's calendarView, the window it was
 * opened for (a delta link is bound to its window), and the series masters seen in it (calendarView delta reports
 * occurrences, never masters, so a cancelled occurrence is only explained by re-reading its series).
 */
const cursorSchema = z.object({
  v: z.literal(1),
  calendarId: z.string(),
  deltaLink: z.string().startsWith('/'),
  from: z.string(),
  to: z.string(),
  series: z.array(z.string()),
});
export type GraphCursor = z.infer<typeof cursorSchema>;

export function encodeCursor(c: Omit<GraphCursor, 'v'>): string {
  return Buffer.from(JSON.stringify({ v: 1, ...c }), 'utf8').toString('base64url');
}

/** null for a missing, foreign or corrupt cursor: the caller then lists in full (never an error). */
export function decodeCursor(raw: string | null, calendarId: string): GraphCursor | null {
  if (!raw) return null;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success && parsed.data.calendarId === calendarId ? parsed.data : null;
  } catch {
    return null;
  }
}
