/**
 * A run's links by CRM id and by event id. Built once per run and shared by the listing filters and the planner:
 * at 100,000 links each map is several MB.
 */
import type { LinkRecord } from './status-store';

export interface LinkIndex {
  /** Where one id has several links, the last one (as the planner has always resolved it). */
  byCrm: ReadonlyMap<string, LinkRecord>;
  byEvent: ReadonlyMap<string, LinkRecord>;
}

export function indexLinks(links: readonly LinkRecord[]): LinkIndex {
  const byCrm = new Map<string, LinkRecord>();
  const byEvent = new Map<string, LinkRecord>();
  for (const l of links) {
    byCrm.set(l.crmId, l);
    byEvent.set(l.eventId, l);
  }
  return { byCrm, byEvent };
}
