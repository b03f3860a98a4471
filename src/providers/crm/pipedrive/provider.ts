/**
 * Pipedrive (API v2 activities and persons; v1 activity types) as the engine's CRM port.
 * - Activities owned by the connected user. Types by their key: call → call; task and deadline → task; a type
 *   whose key mentions "follow" → follow-up; meeting, lunch and every other type → meeting. A follow-up is written as
 *   the account's follow-up type when it has one, else as a meeting.
 * - Time: `due_date` + `due_time` (UTC) + `duration` (HH:MM); no `due_time` = all-day on the due date. A task is its
 *   due instant. `busy` ↔ busy/free, `done` = task completed, `location.value`, `note` ↔ body.
 * - Invitees are the activity's `attendees` (e-mail addresses, any address); the persons matched to them are the
 *   `participants` (the first is primary, and its organization the company link).
 * - Listing: `updated_since` (cursor − 5 minutes) sorted by `update_time`, cursor-paged 500 at a time; an activity
 *   deleted in Pipedrive comes back `is_deleted` (kept 30 days): a removal. A cursor older than 30 days gets a full
 *   listing.
 * - Pipedrive activities have no custom fields: the iCalUId tag is the note's last line
 *   (`crm-sync-uid: <iCalUId>`), removed from the body the engine sees; found again by reading activities updated in
 *   the last 90 days. There is no Sync-to-calendar field and no archive state (a Pipedrive user deletes); no
 *   recurrence (occurrences become activities, SPEC §5); no batch write endpoint (writes go one by one).
 */
import { ProviderError } from '../../../sync/errors';
import { asProviderError } from '../../http/provider-errors';
import type { CrmDraft, CrmItem, PersonMatch, SyncedFields, Timing } from '../../../sync/model';
import type {
  ChangeSet,
  CrmCapabilities,
  CrmProvider,
  CrmWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../../../sync/ports';
import type { ActivityType } from '../../../shared/settings';
import { readICalUIdTag, storedTagsFor, writtenBackTag } from '../ical-uid-tag';
import { listingOverlapMs, timeCursor } from '../time-cursor';
import type { PipedriveClient, PipedriveEnvelope } from './client';

const deletedKeptMs = 30 * 86_400_000;
const findWindowMs = 90 * 86_400_000;
const fullListingLeadMs = 7 * 86_400_000;
const pageSize = 500;
const listingCursor = timeCursor('pipedrive:v1:');
const tagLine = /\n*crm-sync-uid: (\S+)\s*$/;

export interface PdActivity {
  id: number;
  subject?: string;
  type?: string;
  owner_id?: number;
  is_deleted?: boolean;
  update_time?: string;
  add_time?: string;
  person_id?: number | null;
  org_id?: number | null;
  due_date?: string | null;
  due_time?: string | null;
  duration?: string | null;
  busy?: boolean;
  done?: boolean;
  location?: { value?: string | null } | null;
  participants?: { person_id: number; primary?: boolean }[] | null;
  attendees?: { email?: string; name?: string; user_id?: number | null; person_id?: number | null }[] | null;
  note?: string | null;
}

interface PdPersonSearch {
  items: {
    item: { id: number; name?: string; emails?: string[]; organization?: { id: number; name?: string } | null };
  }[];
}

export interface PipedriveOptions {
  userId: number;
  userEmail: string;
  now: () => Date;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const pad = (n: number) => String(n).padStart(2, '0');

function minutesOf(hhmm: string | null | undefined): number {
  const m = /^(\d{1,2}):(\d{2})/.exec(hhmm ?? '');
  return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
}

function timingOf(a: PdActivity, type: ActivityType): Timing | null {
  if (!a.due_date) return null;
  if (!a.due_time) {
    if (type === 'task')
      return {
        kind: 'timed',
        start: `${a.due_date}T00:00:00.000Z`,
        end: `${a.due_date}T00:00:00.000Z`,
        timeZone: 'UTC',
      };
    const end = new Date(Date.parse(`${a.due_date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    return { kind: 'all-day', startDate: a.due_date, endDate: end };
  }
  const start = new Date(`${a.due_date}T${a.due_time.slice(0, 5)}:00.000Z`);
  const end = type === 'task' ? start : new Date(start.getTime() + minutesOf(a.duration) * 60_000);
  return { kind: 'timed', start: start.toISOString(), end: end.toISOString(), timeZone: 'UTC' };
}

function timingBody(t: Timing, type: ActivityType): Record<string, unknown> {
  // Pipedrive clears a time with an empty string (its description types these fields as strings, never null).
  if (t.kind === 'all-day') return { due_date: t.startDate, due_time: '', duration: '' };
  const start = new Date(t.start);
  const minutes = type === 'task' ? 0 : Math.max(0, Math.round((Date.parse(t.end) - start.getTime()) / 60_000));
  return {
    due_date: start.toISOString().slice(0, 10),
    due_time: `${pad(start.getUTCHours())}:${pad(start.getUTCMinutes())}`,
    duration: `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`,
  };
}

function splitNote(note: string | null | undefined): { body: string; tag: string | null } {
  const text = str(note);
  const m = tagLine.exec(text);
  return m ? { body: text.slice(0, m.index), tag: m[1]! } : { body: text, tag: null };
}

function noteWith(body: string, tag: string | null): string {
  return tag ? `${body}${body ? '\n\n' : ''}crm-sync-uid: ${tag}` : body;
}

export class PipedriveProvider implements CrmProvider {
  readonly kind = 'pipedrive';
  readonly capabilities: CrmCapabilities = {
    types: ['meeting', 'call', 'follow-up', 'task'],
    recurrence: false,
    invitees: true,
    syncFlagField: false,
    archive: false,
    webhooks: false,
    maxBatch: 50,
    createContacts: true,
    reminders: false,
  };
  private types: { key: string; active: boolean }[] | null = null;

  constructor(
    private readonly client: PipedriveClient,
    private readonly options: PipedriveOptions,
  ) {}

  async testConnection(): Promise<{ account: string }> {
    const q = new URLSearchParams({ owner_id: String(this.options.userId), limit: '1' });
    await this.client.call('GET', `/api/v2/activities?${q.toString()}`);
    return { account: this.options.userEmail };
  }

  private async activityTypes(): Promise<{ key: string; active: boolean }[]> {
    if (!this.types) {
      const answer = await this.client.call<PipedriveEnvelope<{ key_string?: string; active_flag?: boolean }[]>>(
        'GET',
        '/v1/activityTypes',
      );
      this.types = (answer?.data ?? []).map((t) => ({ key: str(t.key_string), active: t.active_flag !== false }));
    }
    return this.types;
  }

  private typeOf(key: string | undefined): ActivityType {
    const k = str(key).toLowerCase();
    if (k === 'call') return 'call';
    if (k === 'task' || k === 'deadline') return 'task';
    if (k.includes('follow')) return 'follow-up';
    return 'meeting';
  }

  private async keyFor(type: ActivityType): Promise<string> {
    if (type === 'call' || type === 'task' || type === 'meeting') return type;
    if (type === 'follow-up') {
      const follow = (await this.activityTypes()).find((t) => t.active && t.key.toLowerCase().includes('follow'));
      return follow?.key ?? 'meeting';
    }
    throw new ProviderError('invalid', `Pipedrive has no ${type} activity the connector writes`);
  }

  private toItem(a: PdActivity): CrmItem {
    const type = this.typeOf(a.type);
    const { body, tag: raw } = splitNote(a.note);
    const tag = readICalUIdTag(raw);
    const me = this.options.userEmail;
    const attendees = (a.attendees ?? [])
      .filter((x) => x.email && x.user_id !== this.options.userId && x.email.toLowerCase() !== me)
      .map((x) => ({ email: x.email!.toLowerCase(), ...(x.name ? { name: x.name } : {}) }));
    const persons = [
      ...new Set([...(a.participants ?? []).map((p) => p.person_id), ...(a.person_id ? [a.person_id] : [])]),
    ];
    const fields: CrmItem['fields'] = {
      subject: str(a.subject),
      timing: timingOf(a, type),
      body,
      location: str(a.location?.value),
      visibility: 'normal',
      showAs: a.busy === false || (type === 'task' && a.done) ? 'free' : 'busy',
      attendees,
      recurrence: null,
      reminderMinutes: null,
    };
    const updated = a.update_time
      ? new Date(a.update_time.replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(a.update_time) ? '' : 'Z'))
      : new Date(0);
    return {
      id: `activity:${a.id}`,
      type,
      version: str(a.update_time),
      modifiedAt: Number.isNaN(updated.getTime()) ? new Date(0).toISOString() : updated.toISOString(),
      fields,
      ...(type === 'task' ? { completed: a.done === true, priority: 'normal' as const } : {}),
      syncToCalendar: null,
      archived: false,
      iCalUId: tag.iCalUId,
      origin: tag.origin,
      url: null,
      links: {
        contactIds: persons.map((p) => `person:${p}`),
        companyIds: a.org_id ? [`organization:${a.org_id}`] : [],
      },
      ownerEmails: [me],
    };
  }

  /** Every page of an activities listing; `onPage` sees each page before the next is read. */
  private async eachPage(query: Record<string, string>, onPage: (rows: PdActivity[]) => Promise<void>): Promise<void> {
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({ ...query, limit: String(pageSize), include_fields: 'attendees' });
      if (cursor) q.set('cursor', cursor);
      const page: PipedriveEnvelope<PdActivity[]> = await this.client.call('GET', `/api/v2/activities?${q.toString()}`);
      await onPage(page?.data ?? []);
      cursor = page?.additional_data?.next_cursor ?? null;
    } while (cursor);
  }

  async listChanges(
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CrmItem>,
  ): Promise<ChangeSet<CrmItem>> {
    const now = this.options.now().getTime();
    const since = listingCursor.since(cursor);
    // Pipedrive keeps deleted activities 30 days: an older cursor could miss a deletion, so list everything.
    const full = since === null || now - since > deletedKeptMs - listingOverlapMs;
    const from = Date.parse(window.from);
    const items: CrmItem[] = [];
    const removedIds: string[] = [];
    const query: Record<string, string> = { owner_id: String(this.options.userId) };
    if (full) query['sort_by'] = 'id';
    else {
      query['updated_since'] = new Date(since - listingOverlapMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
      query['sort_by'] = 'update_time';
    }
    await this.eachPage(query, async (rows) => {
      for (const a of rows) {
        if (a.is_deleted) {
          if (!full) removedIds.push(`activity:${a.id}`);
          continue;
        }
        if (full && a.due_date && Date.parse(`${a.due_date}T00:00:00Z`) < from - fullListingLeadMs) continue;
        const item = this.toItem(a);
        if (keep?.(item) ?? true) items.push(item);
      }
    });
    return { upserts: items, removedIds, full, nextCursor: listingCursor.at(now) };
  }

  async findByICalUId(iCalUIds: string[]): Promise<CrmItem[]> {
    const wanted = new Set(storedTagsFor(iCalUIds));
    if (!wanted.size) return [];
    const out: CrmItem[] = [];
    const since = new Date(this.options.now().getTime() - findWindowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await this.eachPage({ updated_since: since, sort_by: 'update_time' }, async (rows) => {
      for (const a of rows) {
        const tag = splitNote(a.note).tag;
        if (!a.is_deleted && tag && wanted.has(tag)) out.push(this.toItem(a));
      }
    });
    return out;
  }

  private async searchPerson(email: string): Promise<PersonMatch | null> {
    const q = new URLSearchParams({ term: email, fields: 'email', exact_match: 'true', limit: '10' });
    const answer = await this.client.call<PipedriveEnvelope<PdPersonSearch>>(
      'GET',
      `/api/v2/persons/search?${q.toString()}`,
    );
    const hit = (answer?.data?.items ?? []).find((i) => (i.item.emails ?? []).some((e) => e.toLowerCase() === email));
    if (!hit) return null;
    const org = hit.item.organization;
    return {
      email,
      contactId: `person:${hit.item.id}`,
      kind: 'contact',
      name: hit.item.name ?? null,
      companyId: org?.id ? `organization:${org.id}` : null,
      companyName: org?.name ?? null,
    };
  }

  /**
   * Pipedrive's person search takes one term (one request, and its tokens, per address): the answers are kept for
   * the life of this provider (one run), so an address on many meetings is searched once.
   */
  private readonly people = new Map<string, PersonMatch | null>();

  async lookupPeople(emails: string[]): Promise<PersonMatch[]> {
    const wanted = [...new Set(emails.map((e) => e.trim().toLowerCase()).filter((e) => e.length >= 2))];
    const out: PersonMatch[] = [];
    for (const email of wanted) {
      if (!this.people.has(email)) this.people.set(email, await this.searchPerson(email));
      const m = this.people.get(email);
      if (m) out.push(m);
    }
    return out;
  }

  async createContact(person: { email: string; name?: string }): Promise<PersonMatch> {
    const email = person.email.trim().toLowerCase();
    const created = await this.client.call<PipedriveEnvelope<{ id: number; name?: string }>>(
      'POST',
      '/api/v2/persons',
      {
        name: person.name?.trim() || email,
        emails: [{ value: email, primary: true, label: 'work' }],
      },
    );
    const match: PersonMatch = {
      email,
      contactId: `person:${created.data.id}`,
      kind: 'contact',
      name: person.name?.trim() || null,
      companyId: null,
    };
    this.people.set(email, match);
    return match;
  }

  private async fieldsBody(f: Partial<SyncedFields>, type: ActivityType, tag: string | null | undefined) {
    const b: Record<string, unknown> = {};
    if (f.subject !== undefined) b['subject'] = f.subject;
    if (f.body !== undefined || tag !== undefined) b['note'] = noteWith(f.body ?? '', tag ?? null);
    if (f.location !== undefined) b['location'] = { value: f.location };
    if (f.showAs !== undefined) b['busy'] = f.showAs === 'busy';
    if (f.timing) Object.assign(b, timingBody(f.timing, type));
    if (f.attendees) {
      const matches = await this.lookupPeople(f.attendees.map((a) => a.email));
      b['attendees'] = f.attendees.map((a) => {
        const m = matches.find((x) => x.email === a.email.toLowerCase());
        return {
          email: a.email.toLowerCase(),
          ...(a.name ? { name: a.name } : {}),
          ...(m ? { person_id: Number(m.contactId.slice(7)) } : {}),
        };
      });
      b['participants'] = matches.map((m, i) => ({ person_id: Number(m.contactId.slice(7)), primary: i === 0 }));
    }
    return b;
  }

  private async read(id: number): Promise<PdActivity> {
    const q = new URLSearchParams({ include_fields: 'attendees' });
    const answer = await this.client.call<PipedriveEnvelope<PdActivity>>(
      'GET',
      `/api/v2/activities/${id}?${q.toString()}`,
    );
    if (!answer?.data || answer.data.is_deleted)
      throw new ProviderError('not-found', `Pipedrive activity ${id} is gone`);
    return answer.data;
  }

  private idOf(id: string): number {
    const m = /^activity:(\d+)$/.exec(id);
    if (!m) throw new ProviderError('not-found', `${id} is not a Pipedrive activity id`);
    return Number(m[1]);
  }

  private async writeOne(w: CrmWrite, existing: Map<string, CrmItem>): Promise<CrmItem> {
    if (w.op === 'create') {
      const found = existing.get(w.draft.iCalUId);
      if (found) return found;
      const d: CrmDraft = w.draft;
      const body = await this.fieldsBody(d.fields, d.type, d.iCalUId);
      const participants = (body['participants'] as { person_id: number }[] | undefined) ?? [];
      const linked = d.links.contactIds.filter((c) => c.startsWith('person:')).map((c) => Number(c.slice(7)));
      const all = [...new Set([...participants.map((p) => p.person_id), ...linked])];
      const org = d.links.companyIds.find((c) => c.startsWith('organization:'));
      const created = await this.client.call<PipedriveEnvelope<PdActivity>>('POST', '/api/v2/activities', {
        ...body,
        type: await this.keyFor(d.type),
        owner_id: this.options.userId,
        busy: d.fields.showAs === 'busy',
        participants: all.map((person_id, i) => ({ person_id, primary: i === 0 })),
        ...(org ? { org_id: Number(org.slice('organization:'.length)) } : {}),
      });
      return this.toItem(await this.read(created.data.id));
    }
    if (w.op === 'archive' || w.op === 'unarchive' || w.op === 'set-sync-flag')
      throw new ProviderError(
        'invalid',
        `Pipedrive activities have no ${w.op === 'set-sync-flag' ? 'Sync-to-calendar field' : 'archive state'}`,
      );
    const id = this.idOf(w.id);
    const current = await this.read(id);
    const type = this.typeOf(current.type);
    const { body: oldBody, tag } = splitNote(current.note);
    let patch: Record<string, unknown>;
    if (w.op === 'update') {
      patch = await this.fieldsBody(w.fields, type, w.fields.body !== undefined ? tag : undefined);
      if (w.fields.body === undefined) delete patch['note'];
      const added = (w.links?.contactIds ?? []).filter((c) => c.startsWith('person:')).map((c) => Number(c.slice(7)));
      if (added.length || patch['participants']) {
        const base =
          (patch['participants'] as { person_id: number }[] | undefined)?.map((p) => p.person_id) ??
          (current.participants ?? []).map((p) => p.person_id);
        const all = [...new Set([...base, ...added])];
        patch['participants'] = all.map((person_id, i) => ({ person_id, primary: i === 0 }));
      }
      const org = w.links?.companyIds.find((c) => c.startsWith('organization:'));
      if (org && !current.org_id) patch['org_id'] = Number(org.slice('organization:'.length));
    } else if (w.op === 'set-ical-uid') {
      patch = { note: noteWith(oldBody, writtenBackTag(w.iCalUId)) };
    } else {
      // add-owner: an activity has one owner; the colleague joins as an attendee (a Pipedrive user).
      const users = await this.client.call<PipedriveEnvelope<{ id: number; email?: string }[]>>('GET', '/v1/users');
      const user = (users?.data ?? []).find((u) => str(u.email).toLowerCase() === w.email.toLowerCase());
      if (!user) throw new ProviderError('not-found', `no Pipedrive user with the e-mail ${w.email}`);
      patch = {
        attendees: [
          ...(current.attendees ?? []).map((a) => ({
            ...(a.email ? { email: a.email } : {}),
            ...(a.name ? { name: a.name } : {}),
            ...(a.person_id ? { person_id: a.person_id } : {}),
            ...(a.user_id ? { user_id: a.user_id } : {}),
          })),
          { email: w.email.toLowerCase(), user_id: user.id },
        ],
      };
    }
    if (Object.keys(patch).length === 0) return this.toItem(current);
    await this.client.call('PATCH', `/api/v2/activities/${id}`, patch);
    return this.toItem(await this.read(id));
  }

  async writeItems(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]> {
    const uids = writes.flatMap((w) => (w.op === 'create' ? [w.draft.iCalUId] : []));
    // A create whose answer was lost left an activity carrying the tag: reuse it, write nothing.
    const existing = new Map(
      (uids.length ? await this.findByICalUId(uids) : []).map((i) => [i.iCalUId ?? '', i] as const),
    );
    const out: WriteResult<CrmItem | null>[] = [];
    for (const w of writes) {
      try {
        const item = await this.writeOne(w, existing);
        if (w.op === 'create') existing.set(w.draft.iCalUId, item);
        out.push({ ok: true, value: item });
      } catch (e) {
        out.push({ ok: false, error: asProviderError(e) });
      }
    }
    return out;
  }
}
