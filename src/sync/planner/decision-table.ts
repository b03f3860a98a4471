/**
 * SPEC §5.1 as a table: for each sync direction, what happens to a linked pair given the state of its CRM side
 * (row) and of its calendar side (column), as link-state.ts classifies them. The two-way table is the SPEC's table
 * cell by cell; the one-way tables apply its "One-way" paragraph (the source side is never written; the target is
 * a mirror). Exceptions to a cell are the named overrides of overrides.ts, checked before the table is read.
 *
 * What each decision does is in linked-pair.ts (`execute`). The four cells where both sides still exist ("nothing",
 * "update CRM", "update event", "merge per field") are one field merge (field-merge.ts): it writes only the fields
 * that changed, so the cell names what it ends up writing.
 */
import type { SyncDirection } from '../../shared/settings';

/** The CRM side of a link (SPEC §5.1 rows). "deleted" is the SPEC's "deleted / archived / flag off". */
export const crmSides = ['unchanged', 'changed', 'deleted', 'left-scope'] as const;
export type CrmSide = (typeof crmSides)[number];

/**
 * The calendar side of a link (SPEC §5.1 columns). "left-scope" is not a SPEC column: an imported pair's event can
 * leave the calendar → CRM scope (private, no invitee besides the user), the mirror image of the CRM row.
 */
export const calendarSides = ['unchanged', 'changed', 'deleted', 'cancelled', 'left-scope'] as const;
export type CalendarSide = (typeof calendarSides)[number];

export type Decision =
  /** Both sides as last synced: no write (a version that moved without a change is still recorded). */
  | 'nothing'
  /** The event's changes go to the CRM item. */
  | 'update-crm'
  /** The CRM item's changes go to the event. */
  | 'update-event'
  /** Per field: a field changed on one side takes that side; changed on both → conflict policy. */
  | 'merge-per-field'
  /** The calendar deletion is explicit: CRM-origin item → Sync-to-calendar flag off; imported item → archived; unlink. */
  | 'flag-off-or-archive-crm'
  /** Cancelled meeting: the CRM item is archived; unlink. */
  | 'archive-crm'
  /** The CRM deletion is explicit: the event is deleted; unlink. */
  | 'delete-event'
  /** CRM-origin: the event the connector created is deleted; imported: unlink only. */
  | 'delete-own-event'
  /** Both sides are gone or going: forget the link, no write. */
  | 'unlink'
  /** An imported pair's event left scope: unlink; the activity is not copied back as a second event (until it changes). */
  | 'keep-import-home'
  /** One-way CRM → calendar, the mirror event was deleted: unlink; not re-created until the CRM item changes. */
  | 'not-re-created'
  /** One-way calendar → CRM, the mirror activity was deleted: unlink; not re-imported until the event changes. */
  | 'not-re-imported'
  /** Only from the stale-mirror override (overrides.ts): our cancelled mirror is deleted silently; unlink. */
  | 'delete-stale-mirror';

type Row = Record<CalendarSide, Decision>;
type Table = Record<CrmSide, Row>;

function row(cells: readonly [Decision, Decision, Decision, Decision, Decision]): Row {
  const [unchanged, changed, deleted, cancelled, leftScope] = cells;
  return { unchanged, changed, deleted, cancelled, 'left-scope': leftScope };
}

// prettier-ignore
export const DECISIONS: Record<SyncDirection, Table> = {
  'two-way': {
    // CRM ↓ / calendar →  unchanged                 changed                    deleted                    cancelled      left-scope
    unchanged:    row(['nothing',                 'update-crm',              'flag-off-or-archive-crm', 'archive-crm', 'keep-import-home']),
    changed:      row(['update-event',            'merge-per-field',         'flag-off-or-archive-crm', 'archive-crm', 'keep-import-home']),
    deleted:      row(['delete-event',            'delete-event',            'unlink',                  'unlink',      'delete-event']),
    'left-scope': row(['delete-own-event',        'delete-own-event',        'unlink',                  'unlink',      'delete-own-event']),
  },
  // One-way: the CRM is the source. Edits made to the mirror event are left alone until the CRM item changes.
  'crm-to-calendar': {
    // CRM ↓ / calendar →  unchanged                 changed                    deleted                    cancelled           left-scope
    unchanged:    row(['nothing',                 'nothing',                 'not-re-created',          'nothing',          'nothing']),
    changed:      row(['update-event',            'update-event',            'not-re-created',          'update-event',     'update-event']),
    deleted:      row(['delete-event',            'delete-event',            'unlink',                  'delete-event',     'delete-event']),
    'left-scope': row(['delete-own-event',        'delete-own-event',        'unlink',                  'delete-own-event', 'delete-own-event']),
  },
  // One-way: the calendar is the source. Edits made to the mirror activity are left alone until the event changes.
  // The CRM is the target: its calendar scope (type, flag off) does not apply, so its side is never "left-scope".
  'calendar-to-crm': {
    // CRM ↓ / calendar →  unchanged                 changed                    deleted                    cancelled      left-scope
    unchanged:    row(['nothing',                 'update-crm',              'flag-off-or-archive-crm', 'archive-crm', 'keep-import-home']),
    changed:      row(['nothing',                 'update-crm',              'flag-off-or-archive-crm', 'archive-crm', 'keep-import-home']),
    deleted:      row(['not-re-imported',         'not-re-imported',         'unlink',                  'unlink',      'keep-import-home']),
    'left-scope': row(['nothing',                 'update-crm',              'flag-off-or-archive-crm', 'archive-crm', 'keep-import-home']),
  },
};

/** The table's cell for a link. */
export function decide(direction: SyncDirection, crm: CrmSide, calendar: CalendarSide): Decision {
  return DECISIONS[direction][crm][calendar];
}
