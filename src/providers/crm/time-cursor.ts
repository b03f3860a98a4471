/**
 * The listing cursor of the CRMs that list by modification time (HubSpot, Pipedrive, Zoho): when the last listing
 * started, read back with an overlap, because a record saved just before a listing can carry a modification time
 * from before the cursor (clock skew, slow commits). The prefix names the vendor and the cursor's version: a cursor
 * of another shape means a full listing.
 */
export const listingOverlapMs = 5 * 60_000;

export interface TimeCursor {
  /** The cursor for a listing that started at `ms`. */
  at(ms: number): string;
  /** When the listing of that cursor started (ms since epoch), or null for a full listing. */
  since(cursor: string | null): number | null;
}

export function timeCursor(prefix: string): TimeCursor {
  return {
    at: (ms) => `${prefix}${ms}`,
    since(cursor) {
      if (!cursor?.startsWith(prefix)) return null;
      const t = Number(cursor.slice(prefix.length));
      return Number.isFinite(t) && t > 0 ? t : null;
    },
  };
}
