/**
 * The Sandbox CRM as an engine port. It reads and writes through a SandboxRepository, so the same code runs
 * over the server's SQLite/PostgreSQL store and over anything else implementing the port.
 */
import { ProviderError } from '../../../sync/errors';
import type { CrmItem, PersonMatch } from '../../../sync/model';
import type {
  ChangeSet,
  CrmCapabilities,
  CrmProvider,
  CrmWrite,
  ListWindow,
  ListingFilter,
  WriteResult,
} from '../../../sync/ports';
import { SandboxError, type SandboxItem, type SandboxItemData, type SandboxRepository } from './repository';

const cursorPrefix = 'sandbox:';
const pageSize = 200;

export const sandboxCapabilities: CrmCapabilities = {
  types: ['meeting', 'call', 'follow-up', 'task', 'note'],
  recurrence: true,
  invitees: true,
  syncFlagField: true,
  archive: true,
  webhooks: false,
  maxBatch: 100,
  createContacts: true,
};

/** Whether an item belongs in a full listing of the window (series and undated items always do). */
export function inWindow(item: Pick<SandboxItemData, 'timing' | 'recurrence'>, window: ListWindow): boolean {
  const t = item.timing;
  if (!t || item.recurrence) return true;
  const [start, end] =
    t.kind === 'timed' ? [t.start, t.end] : [`${t.startDate}T00:00:00.000Z`, `${t.endDate}T00:00:00.000Z`];
  const from = new Date(window.from).toISOString();
  if (end < from && start < from) return false;
  return window.to === null || start <= new Date(window.to).toISOString();
}

function toProviderError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  if (e instanceof SandboxError) return new ProviderError(e.kind, e.message);
  return new ProviderError('transient', e instanceof Error ? e.message : String(e), { cause: e });
}

export class SandboxCrmProvider implements CrmProvider {
  readonly kind = 'sandbox';
  readonly capabilities = sandboxCapabilities;

  constructor(
    private readonly repo: SandboxRepository,
    private readonly publicUrl: string,
  ) {}

  testConnection(): Promise<{ account: string }> {
    return this.repo.changes(0, 1).then(() => ({ account: this.repo.scope.userEmail }));
  }

  async listChanges(
    cursor: string | null,
    window: ListWindow,
    keep?: ListingFilter<CrmItem>,
  ): Promise<ChangeSet<CrmItem>> {
    const start = parseCursor(cursor);
    const full = start === null;
    let position = start ?? 0;
    const byId = new Map<string, SandboxItem>();
    const removed = new Set<string>();
    for (;;) {
      const page = await this.repo.changes(position, pageSize);
      for (const item of page.items) {
        removed.delete(item.id);
        byId.set(item.id, item);
      }
      for (const id of page.removedIds) {
        byId.delete(id);
        if (!full) removed.add(id);
      }
      position = page.position;
      if (!page.more) break;
    }
    // Filtered only once the feed is read to its end: an item that changes or is deleted while the listing runs
    // comes again on a later page (or as a removal), and a rejection the engine has recorded cannot be taken back.
    // The mapped items are made one at a time, so only those the engine wants are held.
    const upserts: CrmItem[] = [];
    for (const i of byId.values()) {
      if (full && !inWindow(i, window)) continue;
      const item = this.toCrmItem(i);
      if (keep?.(item) ?? true) upserts.push(item);
    }
    return {
      upserts,
      removedIds: [...removed],
      full,
      nextCursor: `${cursorPrefix}${position}`,
    };
  }

  async findByICalUId(iCalUIds: string[]): Promise<CrmItem[]> {
    if (iCalUIds.length === 0) return [];
    return (await this.repo.findByICalUId(iCalUIds)).map((i) => this.toCrmItem(i));
  }

  async lookupPeople(emails: string[]): Promise<PersonMatch[]> {
    if (emails.length === 0) return [];
    const people = await this.repo.findPeople(emails);
    const companies = people.some((p) => p.companyId)
      ? new Map((await this.repo.listCompanies()).map((c) => [c.id, c.name]))
      : new Map<string, string>();
    return people.map((p) => ({
      email: p.email,
      contactId: p.id,
      kind: p.kind,
      name: p.name,
      companyId: p.companyId,
      companyName: p.companyId ? (companies.get(p.companyId) ?? null) : null,
    }));
  }

  async createContact(person: { email: string; name?: string }): Promise<PersonMatch> {
    const email = person.email.trim().toLowerCase();
    const domain = email.split('@')[1] ?? '';
    const company = (await this.repo.listCompanies()).find((c) => c.domain?.toLowerCase() === domain) ?? null;
    const created = await this.repo.createContact({
      email,
      name: person.name ?? null,
      kind: 'contact',
      companyId: company?.id ?? null,
    });
    return { email, contactId: created.id, kind: 'contact', name: created.name, companyId: created.companyId };
  }

  /**
   * In order; a run of plain field changes (the iCalUIds a push writes back, archive flags…) goes to the repository
   * as one `updateItems`, one transaction for the lot instead of one each.
   */
  async writeItems(writes: CrmWrite[]): Promise<WriteResult<CrmItem | null>[]> {
    const results: WriteResult<CrmItem | null>[] = [];
    let plain: { id: string; patch: Partial<SandboxItemData> }[] = [];
    const flush = async (): Promise<void> => {
      if (plain.length === 0) return;
      const updates = plain;
      plain = [];
      let answers: (SandboxItem | SandboxError)[];
      try {
        answers = await this.repo.updateItems(updates);
      } catch (e) {
        const error = toProviderError(e);
        for (const _ of updates) results.push({ ok: false, error });
        return;
      }
      for (const a of answers) {
        results.push(
          a instanceof SandboxError ? { ok: false, error: toProviderError(a) } : { ok: true, value: this.toCrmItem(a) },
        );
      }
    };
    for (const w of writes) {
      const patch = plainPatch(w);
      if (patch) {
        plain.push({ id: (w as { id: string }).id, patch });
        continue;
      }
      await flush();
      try {
        results.push({ ok: true, value: this.toCrmItem(await this.applyWrite(w)) });
      } catch (e) {
        results.push({ ok: false, error: toProviderError(e) });
      }
    }
    await flush();
    return results;
  }

  private async applyWrite(w: CrmWrite): Promise<SandboxItem> {
    switch (w.op) {
      case 'create': {
        const d = w.draft;
        const [created] = await this.repo.createItems([
          {
            idempotencyKey: w.idempotencyKey,
            data: {
              type: d.type,
              ...d.fields,
              completed: false,
              priority: 'normal',
              syncToCalendar: d.syncToCalendar,
              archived: false,
              iCalUId: d.iCalUId,
              origin: 'calendar',
              occurrence: d.occurrence ?? null,
              links: d.links,
            },
          },
        ]);
        if (!created) throw new SandboxError('invalid', 'create returned nothing');
        return created;
      }
      case 'update': {
        const version = w.ifMatch === null ? null : Number(w.ifMatch);
        if (version !== null && !Number.isInteger(version)) {
          throw new ProviderError('conflict', `version ${w.ifMatch} is not a Sandbox version`);
        }
        let links: SandboxItemData['links'] | undefined;
        if (w.links) {
          // Links from newly matched attendees are added; the CRM user's own links stay.
          const current = await this.repo.getItem(w.id);
          if (!current) throw new SandboxError('not-found', `no activity ${w.id}`);
          links = {
            contactIds: [...new Set([...current.links.contactIds, ...w.links.contactIds])],
            companyIds: [...new Set([...current.links.companyIds, ...w.links.companyIds])],
          };
        }
        return this.repo.updateItem(w.id, { ...w.fields, ...(links ? { links } : {}) }, version);
      }
      case 'add-owner':
        return this.repo.addOwner(w.id, w.email);
      default:
        // The plain patches (writeItems sends them in one updateItems).
        return this.repo.updateItem(w.id, plainPatch(w) ?? {});
    }
  }

  private toCrmItem(i: SandboxItem): CrmItem {
    return {
      id: i.id,
      type: i.type,
      version: String(i.version),
      modifiedAt: i.modifiedAt,
      fields: {
        subject: i.subject,
        timing: i.timing,
        body: i.body,
        location: i.location,
        visibility: i.visibility,
        showAs: i.showAs,
        attendees: i.attendees,
        recurrence: i.recurrence,
        reminderMinutes: i.reminderMinutes,
      },
      ...(i.type === 'task' ? { completed: i.completed, priority: i.priority } : {}),
      syncToCalendar: i.syncToCalendar,
      archived: i.archived,
      iCalUId: i.iCalUId,
      origin: i.origin,
      ...(i.occurrence ? { occurrence: i.occurrence } : {}),
      // The read-only page of the item (a person opens this link; /sandbox/v1 is the API).
      url: `${this.publicUrl.replace(/\/+$/, '')}/sandbox/items/${encodeURIComponent(i.id)}`,
      links: i.links,
      ownerEmails: i.ownerEmails,
    };
  }
}

/** The change a write makes when it is a plain patch of fields (no version check, no read of links first). */
function plainPatch(w: CrmWrite): Partial<SandboxItemData> | null {
  switch (w.op) {
    case 'set-ical-uid':
      // Only the tag: the item keeps its origin ('crm'), the Sandbox stores origin on its own.
      return { iCalUId: w.iCalUId };
    case 'archive':
      return { archived: true };
    case 'unarchive':
      return { archived: false };
    case 'set-sync-flag':
      return { syncToCalendar: w.value };
    default:
      return null;
  }
}

function parseCursor(cursor: string | null): number | null {
  if (!cursor?.startsWith(cursorPrefix)) return null;
  const n = Number(cursor.slice(cursorPrefix.length));
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
