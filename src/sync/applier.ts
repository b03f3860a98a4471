/**
 * The applier: executes a plan in provider-sized batches (SPEC §5, §7, §10.7).
 * - A write intent is stored before every create, so a create whose answer is lost is found again by tag/iCalUId.
 * - Status is committed after every provider batch (one transaction for the batch's intents before its writes, one
 *   for its results after them, where the store has transactions): a crash at any instant loses at most the answers
 *   of one batch, and the intents find its creates again.
 * - Transient errors are retried with backoff honouring retryAfterMs; uncertain creates are looked up first.
 * - Permanent errors are classified into the run report; an auth error stops the run (re-authorize).
 * - The AbortSignal is honoured between batches.
 * - It writes what the plan holds (drafts, keys) and never changes the plan: it reads it once into job lists of its
 *   own, which let each operation go once applied.
 */
import type { CalendarEvent, CrmItem, SyncedFields } from './model';
import type { CalendarProvider, CrmProvider, CrmWrite, EventWrite, WriteResult } from './ports';
import type { LinkRecord, StatusStore, TrailEntry } from './status-store';
import type { RunError, RunReport } from '../shared/run-report';
import type { CreateCrmOp, CreateEventOp, PairOp, Plan, PlanOp, UnlinkOp } from './plan';
import { isProviderError, ProviderError } from './errors';
import { backoffMs, MAX_RETRIES, withRetry } from './retry';
import { nextTurn } from './event-loop';
import { crmCanonical, crmHash, crmInfoOf, eventCanonical, type EngineEnv } from './mapping';
import { crmSideOf, eventHash, summariesOf } from './planner';

export interface ApplyContext {
  crm: CrmProvider;
  calendar: CalendarProvider;
  store: StatusStore;
  env: EngineEnv;
  runId: string;
  report: RunReport;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /**
   * A linked event turned out to be gone when written to (not-found on an update): the calendar deleted it although
   * the listing did not say so. Without this hook that is an item error.
   */
  onEventGone?: (calendarId: string, eventId: string) => void;
}

export interface ApplyOutcome {
  stopped: 'auth' | 'aborted' | null;
  failures: number;
}

type Result<T> = WriteResult<T>;
type PairState = { crm: { ok: boolean; item: CrmItem | null } | null; iCalUIdWritten: boolean };

/** An operation with a calendar write. */
type CalendarOp = CreateEventOp | PairOp | UnlinkOp;

interface Job<W, R> {
  op: PlanOp;
  write: W;
  done(result: Result<R>): Promise<void>;
}

class StopRun extends Error {
  constructor(readonly why: 'auth' | 'aborted') {
    super(why);
  }
}

/** One string per trail action, not one per entry (a 100k-item run writes 100k entries). */
const trailActions = new Map<string, string>();
export function trailAction(side: 'crm' | 'calendar', action: string): string {
  const key = `${side}:${action}`;
  let name = trailActions.get(key);
  if (name === undefined) {
    name = key;
    trailActions.set(key, name);
  }
  return name;
}

/**
 * Two turns of the event loop: the writes just started open their connections in the first and send their requests
 * in the second. Work that follows (an in-process CRM such as the Sandbox writes synchronously) then runs while the
 * server answers them, instead of before the requests leave.
 */
async function afterRequestsLeave(): Promise<void> {
  await nextTurn();
  await nextTurn();
}

export async function applyPlan(plan: Plan, ctx: ApplyContext): Promise<ApplyOutcome> {
  return new Applier(plan, ctx).run();
}

/** The plan's operations, sorted by what they write (the applier's own lists; the plan is not changed). */
interface Work {
  tombstones: Pick<Plan, 'forgetTombstones' | 'newTombstones'>;
  anyOps: boolean;
  /** Pairs and unlinks without a write: only their status is committed. */
  writeless: PlanOp[];
  /** Attendee e-mails without a CRM contact (createContacts setting). */
  unknownEmails: Set<string>;
  crm: PlanOp[];
  calendar: Map<string, CalendarOp[]>;
}

/** Contacts created for unknown attendees, by e-mail. */
type CreatedContacts = ReadonlyMap<string, { contactId: string; companyId: string | null }>;

class Applier {
  private failures = 0;
  private done = 0;
  private total = 0;
  private trail: TrailEntry[] = [];
  private readonly pairState = new Map<PairOp, PairState>();
  /** Links of events created in this run whose iCalUId is still to be written to their CRM-born items. */
  private readonly iCalUIdsOwed: { op: CreateEventOp; link: LinkRecord }[] = [];
  private readonly at: string;
  /** Until read into the job lists (takeWork): the applier keeps no reference to the plan while it writes. */
  private plan: Plan | null;

  constructor(
    plan: Plan,
    private readonly ctx: ApplyContext,
  ) {
    this.plan = plan;
    this.at = ctx.env.now.toISOString();
  }

  async run(): Promise<ApplyOutcome> {
    try {
      const work = this.takeWork();
      // What needs no provider write, in one commit (a re-pairing stores thousands of links here). A no-op run has
      // none, and opens no transaction (on PostgreSQL an empty one is still two round trips: BEGIN and COMMIT).
      const { forgetTombstones, newTombstones } = work.tombstones;
      if (forgetTombstones.length + newTombstones.length + work.writeless.length > 0)
        await this.inTransaction(async () => {
          for (const t of work.tombstones.forgetTombstones) await this.ctx.store.deleteTombstone(t.side, t.sourceId);
          for (const t of work.tombstones.newTombstones) await this.ctx.store.putTombstone(t);
          for (const op of work.writeless.splice(0)) {
            if (op.kind === 'pair') {
              await this.commitPair(op, null);
              this.addTrail(op);
            } else if (op.kind === 'unlink') await this.finishUnlink(op);
          }
        });
      const created = await this.createUnknownContacts(work.unknownEmails);
      const crmJobs = this.crmJobs(work.crm.splice(0), created);
      const calOps = work.calendar;
      this.total = crmJobs.length + [...calOps.values()].reduce((n, j) => n + j.length, 0);
      const anyOps = work.anyOps;
      await this.runJobs(
        crmJobs,
        (job) => job,
        this.ctx.crm.capabilities.maxBatch,
        'crm',
        (ws) => this.ctx.crm.writeItems(ws as CrmWrite[]),
      );
      // Pairs whose event write is still to come: commit the CRM half now (see commitPair).
      if (this.pairState.size > 0)
        await this.inTransaction(async () => {
          for (const [op, st] of this.pairState) {
            if (op.eventWrite && st.crm?.ok) await this.commitPair(op, 'pending');
            if (!op.eventWrite) this.pairState.delete(op);
          }
        });
      for (const [calendarId, ops] of calOps) {
        await this.runJobs(
          ops,
          (op) => this.calendarJob(op),
          this.ctx.calendar.capabilities.maxBatch,
          'calendar',
          (ws) => this.ctx.calendar.writeEvents(calendarId, ws as EventWrite[]),
          () => this.writeICalUIdsToCrm(false),
        );
      }
      await this.writeICalUIdsToCrm(true);
      await this.flushTrail();
      if (anyOps) this.ctx.onProgress?.(this.total, this.total);
      return { stopped: null, failures: this.failures };
    } catch (e) {
      if (e instanceof StopRun) {
        await this.flushTrail();
        return { stopped: e.why, failures: this.failures };
      }
      throw e;
    }
  }

  // ------------------------------------------------------------------ job lists

  /** Reads the plan once into the applier's own lists, which let each operation go once applied (runJobs). */
  private takeWork(): Work {
    const plan = this.plan!;
    this.plan = null;
    const work: Work = {
      tombstones: { forgetTombstones: plan.forgetTombstones, newTombstones: plan.newTombstones },
      anyOps: plan.ops.length > 0,
      writeless: [],
      unknownEmails: new Set(),
      crm: [],
      calendar: new Map(),
    };
    const onCalendar = (calendarId: string, op: CalendarOp): void => {
      const list = work.calendar.get(calendarId) ?? [];
      list.push(op);
      work.calendar.set(calendarId, list);
    };
    for (const op of plan.ops) {
      if (op.kind === 'create-crm' || op.kind === 'pair') for (const e of op.unknownEmails) work.unknownEmails.add(e);
      if (op.kind === 'pair' && op.crmWrites.length === 0 && !op.eventWrite) work.writeless.push(op);
      else if (op.kind === 'unlink' && !op.crmWrite && !op.eventWrite) work.writeless.push(op);
      if (op.kind === 'create-crm' || (op.kind === 'pair' && op.crmWrites.length > 0)) work.crm.push(op);
      else if (op.kind === 'unlink' && op.crmWrite) work.crm.push(op);
      if (op.kind === 'create-event') onCalendar(op.calendarId, op);
      else if (op.kind === 'pair' && op.eventWrite) onCalendar(op.base.calendarId, op);
      else if (op.kind === 'unlink' && op.eventWrite) onCalendar(op.link.calendarId, op);
    }
    return work;
  }

  /**
   * The createContacts setting: unknown attendees become CRM contacts before the activities that link them
   * (withCreatedContacts adds them to the writes). Null when the setting or the CRM does not create contacts.
   */
  private async createUnknownContacts(emails: ReadonlySet<string>): Promise<CreatedContacts | null> {
    const { crm, env } = this.ctx;
    if (!env.settings.createContacts || !crm.createContact || !env.crmCaps.createContacts) return null;
    const created = new Map<string, { contactId: string; companyId: string | null }>();
    for (const email of emails) {
      try {
        const m = await withRetry(() => crm.createContact!({ email }), this.ctx.sleep, this.ctx.signal);
        created.set(email, { contactId: m.contactId, companyId: m.companyId });
      } catch (e) {
        if (!isProviderError(e)) throw e;
        this.error(e, 'crm', null, `Could not create a CRM contact for ${email}`);
        if (e.kind === 'auth') throw new StopRun('auth');
      }
    }
    return created;
  }

  private crmJobs(ops: PlanOp[], created: CreatedContacts | null): Job<CrmWrite, CrmItem | null>[] {
    const jobs: Job<CrmWrite, CrmItem | null>[] = [];
    for (const op of ops) {
      if (op.kind === 'create-crm') {
        const draft = created
          ? { ...op.draft, links: withContacts(op.draft.links, op.unknownEmails, created) }
          : op.draft;
        jobs.push({
          op,
          write: { op: 'create', idempotencyKey: op.key, draft },
          done: (r) => this.afterCreateCrm(op, r),
        });
      } else if (op.kind === 'pair' && op.crmWrites.length > 0) {
        const st: PairState = { crm: null, iCalUIdWritten: false };
        this.pairState.set(op, st);
        let remaining = op.crmWrites.length;
        let ok = true;
        let item: CrmItem | null = null;
        for (const w of op.crmWrites) {
          const withLinks =
            created && w.op === 'update' && w.fields.attendees
              ? { ...w, links: withContacts(w.links ?? { contactIds: [], companyIds: [] }, op.unknownEmails, created) }
              : w;
          jobs.push({
            op,
            write: withLinks,
            done: async (r) => {
              remaining -= 1;
              if (r.ok) {
                if (r.value) item = r.value;
                if (w.op === 'set-ical-uid') st.iCalUIdWritten = true;
                this.count('crm', w.op === 'create' ? 'created' : 'updated');
              } else {
                ok = false;
                this.writeError(r.error, 'crm', op.base.crmId, `Updating the CRM activity “${op.crmCurrent.subject}”`);
              }
              if (remaining === 0) {
                st.crm = { ok, item };
                if (!op.eventWrite) await this.commitPair(op, null);
                await this.recordConflicts(op);
                if (ok) this.addTrail(op, 'crm');
              }
            },
          });
        }
      } else if (op.kind === 'unlink' && op.crmWrite) {
        const w = op.crmWrite;
        jobs.push({
          op,
          write: w,
          done: async (r) => {
            if (r.ok || (!r.ok && r.error.kind === 'not-found')) {
              if (r.ok) this.count('crm', w.op === 'archive' ? 'archived' : 'updated');
              await this.finishUnlink(op);
            } else {
              this.writeError(
                r.error,
                'crm',
                op.link.crmId,
                `Updating the CRM activity “${op.link.crmFields.subject}”`,
              );
            }
          },
        });
      }
    }
    return jobs;
  }

  private calendarJob(op: CalendarOp): Job<EventWrite, CalendarEvent | null> {
    if (op.kind === 'create-event') {
      return {
        op,
        write: { op: 'create', idempotencyKey: op.key, draft: op.draft },
        done: (r) => this.afterCreateEvent(op, r),
      };
    }
    if (op.kind === 'pair') {
      const w = op.eventWrite!;
      return {
        op,
        write: w,
        done: async (r) => {
          if (r.ok || (w.op === 'delete' && r.error.kind === 'not-found')) {
            this.count('calendar', w.op === 'delete' ? 'deleted' : 'updated');
            if (w.op === 'update' && w.draft.sendInvitations) this.ctx.report.invitationsSent += 1;
            if (w.op === 'delete' && w.sendCancellations) this.ctx.report.invitationsSent += 1;
            this.addTrail(op, 'calendar');
            if (r.ok) this.addNotes(op.base.crmId, op.base.eventId, r.notes, summariesOf(op)[0]?.subject);
          } else if (w.op === 'update' && r.error.kind === 'not-found' && this.ctx.onEventGone) {
            // Deleted in the calendar meanwhile: planned again as a calendar deletion (SPEC §5.1), not an error.
            this.ctx.onEventGone(op.base.calendarId, op.base.eventId);
          } else {
            this.writeError(r.error, 'calendar', op.base.eventId, `Updating the event “${op.eventCurrent.subject}”`);
          }
          const gone = !r.ok && w.op === 'delete' && r.error.kind === 'not-found';
          await this.commitPair(
            op,
            r.ok || gone ? { ok: true, event: r.ok ? r.value : null } : { ok: false, event: null },
          );
          if (!this.pairState.has(op)) await this.recordConflicts(op);
          this.pairState.delete(op);
        },
      };
    }
    const w = op.eventWrite!;
    return {
      op,
      write: w,
      done: async (r) => {
        if (r.ok || (!r.ok && r.error.kind === 'not-found')) {
          if (r.ok) {
            this.count('calendar', 'deleted');
            if (w.op === 'delete' && w.sendCancellations) this.ctx.report.invitationsSent += 1;
          }
          await this.finishUnlink(op);
        } else {
          this.writeError(r.error, 'calendar', op.link.eventId, `Deleting the event “${op.link.eventFields.subject}”`);
        }
      },
    };
  }

  // ------------------------------------------------------------------ batches, retries, lost creates

  private async runJobs<T, W extends CrmWrite | EventWrite, R>(
    items: T[],
    toJob: (item: T) => Job<W, R>,
    maxBatch: number,
    side: 'crm' | 'calendar',
    call: (writes: W[]) => Promise<Result<R>[]>,
    afterBatch?: () => Promise<void>,
  ): Promise<void> {
    const size = Math.max(1, maxBatch);
    for (let i = 0; i < items.length; i += size) {
      if (this.ctx.signal?.aborted) throw new StopRun('aborted');
      const batch = items.slice(i, i + size).map(toJob);
      await this.inTransaction(() => this.putIntents(batch, side));
      // The previous batch's `afterBatch` (the iCalUIds owed to the CRM) runs while this batch's writes are in
      // flight, so neither server waits for the other's work (issue 23); its failure counts once this batch's
      // answers are stored.
      const writing = this.writeWithRetry(batch, side, call);
      const alongside = i > 0 && afterBatch ? afterRequestsLeave().then(afterBatch) : null;
      const [written, after] = await Promise.allSettled([writing, alongside]);
      if (written.status === 'rejected') throw written.reason;
      const results = written.value;
      let auth = false;
      // The batch's status in one commit: a crash before it loses these answers, and the intents stored above find
      // its creates again on the next run.
      await this.inTransaction(async () => {
        for (let k = 0; k < batch.length; k++) {
          const r = results[k]!;
          if (!r.ok && r.error.kind === 'auth') auth = true;
          await batch[k]!.done(r);
          this.done += 1;
        }
      });
      // Applied: the list lets its operations go.
      (items as (T | undefined)[]).fill(undefined, i, i + batch.length);
      this.ctx.onProgress?.(this.done, this.total);
      if (this.trail.length >= 500) await this.flushTrail();
      if (after.status === 'rejected') throw after.reason;
      if (auth) throw new StopRun('auth');
    }
    if (items.length > 0) await afterBatch?.();
  }

  /** The store's writes in `fn` as one commit when the store can (StatusStore.transaction), else one by one. */
  private inTransaction(fn: () => Promise<void>): Promise<void> {
    const { store } = this.ctx;
    return store.transaction ? store.transaction(fn) : fn();
  }

  private async putIntents<W extends CrmWrite | EventWrite, R>(
    batch: Job<W, R>[],
    side: 'crm' | 'calendar',
  ): Promise<void> {
    for (const job of batch) {
      const op = job.op;
      if (op.kind === 'create-event' && side === 'calendar' && job.write.op === 'create') {
        await this.ctx.store.putIntent({
          key: job.write.idempotencyKey,
          side: 'calendar',
          sourceId: op.item.id,
          calendarId: op.calendarId,
          createdAt: this.at,
        });
      } else if (op.kind === 'create-crm' && side === 'crm') {
        await this.ctx.store.putIntent({
          key: op.key,
          side: 'crm',
          sourceId: op.event.id,
          calendarId: op.event.calendarId,
          createdAt: this.at,
        });
      }
    }
  }

  private async writeWithRetry<W extends CrmWrite | EventWrite, R>(
    batch: Job<W, R>[],
    side: 'crm' | 'calendar',
    call: (writes: W[]) => Promise<Result<R>[]>,
  ): Promise<Result<R>[]> {
    const results: (Result<R> | undefined)[] = new Array(batch.length);
    let pending = batch.map((_, i) => i);
    for (let attempt = 0; pending.length > 0; attempt++) {
      let answer: Result<R>[];
      try {
        answer = await call(pending.map((i) => batch[i]!.write));
        if (answer.length !== pending.length) {
          throw new ProviderError(
            'permanent',
            `The ${side} provider answered ${answer.length} results for ${pending.length} writes`,
          );
        }
      } catch (e) {
        if (!isProviderError(e)) throw e;
        answer = pending.map(() => ({ ok: false as const, error: e }));
      }
      const retry: number[] = [];
      let wait: number | undefined;
      pending.forEach((idx, k) => {
        const r = answer[k]!;
        if (!r.ok && r.error.kind === 'transient' && attempt < MAX_RETRIES && !this.ctx.signal?.aborted) {
          retry.push(idx);
          wait = Math.max(wait ?? 0, backoffMs(attempt, r.error.retryAfterMs));
        } else {
          results[idx] = r;
        }
      });
      pending = await this.resolveLostCreates(batch, retry, results, side);
      if (pending.length > 0) await this.ctx.sleep(wait ?? backoffMs(attempt, undefined));
    }
    return results.map((r) => r!);
  }

  /** Before re-sending a create that failed transiently, look it up: it may have been made (lost answer). */
  private async resolveLostCreates<W extends CrmWrite | EventWrite, R>(
    batch: Job<W, R>[],
    retry: number[],
    results: (Result<R> | undefined)[],
    side: 'crm' | 'calendar',
  ): Promise<number[]> {
    const creates = retry.filter((i) => batch[i]!.write.op === 'create');
    if (creates.length === 0) return retry;
    const found = new Map<number, R>();
    try {
      if (side === 'calendar') {
        const byCal = new Map<string, number[]>();
        for (const i of creates) {
          const op = batch[i]!.op as CreateEventOp;
          byCal.set(op.calendarId, [...(byCal.get(op.calendarId) ?? []), i]);
        }
        for (const [calendarId, idxs] of byCal) {
          const ids = idxs.map((i) => (batch[i]!.op as CreateEventOp).item.id);
          const events = await withRetry(
            () => this.ctx.calendar.findByTag(calendarId, ids),
            this.ctx.sleep,
            this.ctx.signal,
          );
          for (const i of idxs) {
            const ev = events.find((e) => e.crmTag === (batch[i]!.op as CreateEventOp).item.id);
            if (ev) found.set(i, ev as R);
          }
        }
      } else {
        const ids = creates.map((i) => (batch[i]!.op as CreateCrmOp).event.iCalUId);
        const items = await withRetry(() => this.ctx.crm.findByICalUId(ids), this.ctx.sleep, this.ctx.signal);
        for (const i of creates) {
          const op = batch[i]!.op as CreateCrmOp;
          const item = items.find(
            (x) =>
              x.iCalUId === op.event.iCalUId &&
              !x.archived &&
              (x.occurrence?.originalStart ?? null) === (op.draft.occurrence?.originalStart ?? null),
          );
          if (item) found.set(i, item as R);
        }
      }
    } catch (e) {
      if (!isProviderError(e)) throw e;
      // The lookup failed: the idempotency key still protects the re-send.
    }
    for (const [i, value] of found) results[i] = { ok: true, value };
    return retry.filter((i) => !found.has(i));
  }

  // ------------------------------------------------------------------ commits

  private async afterCreateEvent(op: CreateEventOp, r: Result<CalendarEvent | null>): Promise<void> {
    const { store, env } = this.ctx;
    const item = op.item;
    // The CRM side as planned (crmSideOf: the item's canonical values, shared with the listed item, not copied).
    const crm = crmSideOf(item, env)!;
    if (!r.ok || !r.value) {
      if (!r.ok) {
        this.writeError(r.error, 'calendar', item.id, `Creating the event for “${crm.current.subject}”`);
        if (!r.error.uncertain) await store.deleteIntent(op.key);
      }
      return;
    }
    const ev = r.value;
    const eventFields = eventCanonical(ev, env);
    const link: LinkRecord = {
      id: `${item.id}\u0001${ev.id}`,
      crmId: item.id,
      eventId: ev.id,
      calendarId: op.calendarId,
      iCalUId: ev.iCalUId,
      origin: 'crm',
      crmVersion: item.version,
      eventVersion: ev.version,
      crmFields: crm.current,
      eventFields,
      crmHash: crm.hash,
      eventHash: eventHash(eventFields, false),
      ...(ev.occurrence ? { occurrence: ev.occurrence } : {}),
      syncedAt: this.at,
      crmInfo: crm.info,
      eventIsOrganizer: ev.isOrganizer,
      ...(ev.writesNotifyAttendees ? { eventWritesNotify: true } : {}),
      // Committed with the link, before the CRM write: a crash in between leaves the note for the next run.
      ...(op.iCalUIdToCrm && ev.iCalUId && ev.iCalUId !== item.iCalUId ? { iCalUIdOwed: true } : {}),
    };
    await store.upsertLink(link);
    if (link.iCalUIdOwed) this.iCalUIdsOwed.push({ op, link });
    await store.deleteIntent(op.key);
    await store.deleteTombstone('calendar', item.id);
    this.count('calendar', 'created');
    if (op.draft.sendInvitations) this.ctx.report.invitationsSent += 1;
    this.addTrail(op, 'calendar', ev.id);
  }

  /**
   * One activity per meeting: the events just created for CRM-born items carry iCalUIds the CRM does not know
   * yet. Written in this run so that an invited colleague's next run finds the activity; a failure keeps the
   * link's note and the next run retries it (planner). Sent in full CRM batches between calendar batches (`all`:
   * the rest at the end), so a large initial sync never holds more than one batch of them.
   */
  private async writeICalUIdsToCrm(all: boolean): Promise<void> {
    const size = Math.max(1, this.ctx.crm.capabilities.maxBatch);
    while (this.iCalUIdsOwed.length >= (all ? 1 : size))
      await this.writeICalUIdBatch(this.iCalUIdsOwed.splice(0, size));
  }

  private async writeICalUIdBatch(owed: { op: CreateEventOp; link: LinkRecord }[]): Promise<void> {
    const jobs: Job<CrmWrite, CrmItem | null>[] = owed.map(({ op, link }) => ({
      op,
      write: { op: 'set-ical-uid', id: link.crmId, iCalUId: link.iCalUId! },
      done: async (r) => {
        if (!r.ok) {
          this.writeError(r.error, 'crm', link.crmId, `Storing the meeting’s iCalUId on “${link.crmFields.subject}”`);
          return;
        }
        this.count('crm', 'updated');
        // The new version is adopted only if the item is still what the link remembers; otherwise the next run
        // must see its change.
        const item = r.value;
        const cur = item ? crmCanonical(item, this.ctx.env) : null;
        const same = item && cur && crmHash(cur, crmInfoOf(item)) === link.crmHash;
        const settled: LinkRecord = { ...link, crmVersion: same ? item.version : link.crmVersion };
        delete settled.iCalUIdOwed;
        await this.ctx.store.upsertLink(settled);
        this.addTrail(op, 'crm', link.crmId);
      },
    }));
    this.total += jobs.length;
    await this.runJobs(
      jobs,
      (job) => job,
      this.ctx.crm.capabilities.maxBatch,
      'crm',
      (ws) => this.ctx.crm.writeItems(ws),
    );
  }

  private async afterCreateCrm(op: CreateCrmOp, r: Result<CrmItem | null>): Promise<void> {
    const { store, env } = this.ctx;
    if (!r.ok || !r.value) {
      if (!r.ok) {
        this.writeError(r.error, 'crm', op.event.id, `Importing the event “${op.event.fields.subject}”`);
        if (!r.error.uncertain) await store.deleteIntent(op.key);
      }
      return;
    }
    const item = r.value;
    const crmFields = crmCanonical(item, env) ?? op.draft.fields;
    const info = crmInfoOf(item);
    const link: LinkRecord = {
      id: `${item.id}\u0001${op.event.id}`,
      crmId: item.id,
      eventId: op.event.id,
      calendarId: op.event.calendarId,
      iCalUId: op.event.iCalUId,
      origin: 'calendar',
      crmVersion: item.version,
      eventVersion: op.event.version,
      crmFields,
      eventFields: op.eventCurrent,
      crmHash: crmHash(crmFields, info),
      eventHash: eventHash(op.eventCurrent, false),
      ...(op.event.occurrence ? { occurrence: op.event.occurrence } : {}),
      syncedAt: this.at,
      crmInfo: info,
      eventIsOrganizer: op.event.isOrganizer,
      ...(op.event.writesNotifyAttendees ? { eventWritesNotify: true } : {}),
    };
    await store.upsertLink(link);
    await store.deleteIntent(op.key);
    await store.deleteTombstone('crm', op.event.id);
    this.count('crm', 'created');
    this.addTrail(op, 'crm', item.id);
  }

  /**
   * Stores a pair's link after its writes. A field still owed to the other side (its write failed or has not
   * happened yet) keeps its old last-synced value, so the next run still sees it as changed and finishes the job.
   */
  private async commitPair(
    op: PairOp,
    ev: { ok: boolean; event: CalendarEvent | null } | 'pending' | null,
  ): Promise<void> {
    const { env, store } = this.ctx;
    const old = op.base.old;
    const st = this.pairState.get(op)?.crm ?? null;
    const crmOk = op.crmWrites.length === 0 || (st?.ok ?? false);
    const evOk = op.eventWrite === null || (ev !== null && ev !== 'pending' && ev.ok);
    const item = st?.ok ? st.item : null;
    let crmFields: SyncedFields = (item && crmCanonical(item, env)) || op.crmCurrent;
    let crmInfo = item ? crmInfoOf(item) : op.crmInfo;
    // A side whose change is still owed keeps its old version too, so the next run does not take it as unchanged.
    const pushOwed = !(op.eventWrite === null || (ev !== null && ev !== 'pending' && ev.ok)) && op.push.length > 0;
    const pullOwed = !(op.crmWrites.length === 0 || (st?.ok ?? false)) && op.pull.length > 0;
    const crmVersion = pushOwed ? (old?.crmVersion ?? '') : (item?.version ?? op.crmVersion);
    const event = ev && ev !== 'pending' && ev.ok ? ev.event : null;
    let eventFields: SyncedFields = event ? eventCanonical(event, env) : op.eventCurrent;
    const eventVersion = pullOwed ? (old?.eventVersion ?? '') : (event?.version ?? op.eventVersion);
    let crmMarker = false;
    let evMarker = false;
    if (!evOk && op.push.length > 0) {
      if (old) {
        crmFields = { ...crmFields };
        for (const f of op.push) (crmFields as unknown as Record<string, unknown>)[f] = old.crmFields[f];
        crmInfo = old.crmInfo ?? crmInfo;
      } else crmMarker = true;
    }
    if (!crmOk && op.pull.length > 0) {
      if (old) {
        eventFields = { ...eventFields };
        for (const f of op.pull) (eventFields as unknown as Record<string, unknown>)[f] = old.eventFields[f];
      } else evMarker = true;
    }
    if (!crmOk && !evOk && !old) return;
    if (op.unlinkAfter && crmOk && evOk) {
      await store.deleteLink(op.base.id);
      return;
    }
    const link: LinkRecord = {
      id: op.base.id,
      crmId: op.base.crmId,
      eventId: op.base.eventId,
      calendarId: op.base.calendarId,
      iCalUId: op.base.iCalUId,
      origin: op.base.origin,
      crmVersion,
      eventVersion,
      crmFields,
      eventFields,
      crmHash: crmMarker ? '' : crmHash(crmFields, crmInfo),
      eventHash: evMarker ? '' : eventHash(eventFields, false),
      ...(old?.occurrence ? { occurrence: old.occurrence } : {}),
      syncedAt: this.at,
      crmInfo,
      eventIsOrganizer: event?.isOrganizer ?? op.eventIsOrganizer,
      ...((event ? event.writesNotifyAttendees : op.eventWritesNotify) ? { eventWritesNotify: true } : {}),
      ...(op.held?.push ? { heldPush: op.held.push } : {}),
      ...(op.held?.delete ? { heldDelete: true } : {}),
      ...(op.iCalUIdOwed && !this.pairState.get(op)?.iCalUIdWritten ? { iCalUIdOwed: true } : {}),
    };
    await store.upsertLink(link);
  }

  private async finishUnlink(op: UnlinkOp): Promise<void> {
    const { store } = this.ctx;
    if (op.tombstone) await store.putTombstone(op.tombstone);
    if (op.keepLink) await store.upsertLink(op.keepLink);
    else await store.deleteLink(op.link.id);
    this.addTrail(op);
  }

  // ------------------------------------------------------------------ report, trail

  private count(side: 'crm' | 'calendar', what: 'created' | 'updated' | 'deleted' | 'archived'): void {
    this.ctx.report[side][what] += 1;
  }

  private async recordConflicts(op: PairOp): Promise<void> {
    if (op.conflicts.length === 0) return;
    const records = op.conflicts.map((c, i) => ({
      id: `${this.ctx.runId}:${op.base.id}:${c.field}:${i}`,
      runId: this.ctx.runId,
      at: this.at,
      ...c,
    }));
    await this.ctx.store.addConflicts(records);
  }

  private addTrail(op: PlanOp, side?: 'crm' | 'calendar', newId?: string): void {
    for (const s of summariesOf(op)) {
      if (side && s.side !== side && s.action !== 'conflict' && s.action !== 'link') continue;
      this.trail.push({
        runId: this.ctx.runId,
        at: this.at,
        crmId: s.crmId ?? (side === 'crm' ? (newId ?? null) : null),
        eventId: s.eventId ?? (side === 'calendar' ? (newId ?? null) : null),
        action: trailAction(s.side, s.action),
        reason: s.reason,
        subject: s.subject,
      });
    }
  }

  /** What the calendar provider said it left alone, next to the write in the item's trail. */
  private addNotes(crmId: string, eventId: string, notes: string[] | undefined, subject?: string): void {
    for (const reason of notes ?? []) {
      this.trail.push({
        runId: this.ctx.runId,
        at: this.at,
        crmId,
        eventId,
        action: trailAction('calendar', 'note'),
        reason,
        subject: subject ?? null,
      });
    }
  }

  private async flushTrail(): Promise<void> {
    if (this.trail.length === 0) return;
    const entries = this.trail;
    this.trail = [];
    await this.ctx.store.addTrail(entries);
  }

  private writeError(e: ProviderError, side: 'crm' | 'calendar', itemId: string | null, what: string): void {
    this.failures += 1;
    this.error(e, side, itemId, what);
  }

  private error(e: ProviderError, side: 'crm' | 'calendar', itemId: string | null, what: string): void {
    this.ctx.report.errors.push(describeError(e, side, itemId, what));
  }
}

/** Links with the contacts just created for the op's unknown attendees added (a copy). */
function withContacts(
  links: { contactIds: string[]; companyIds: string[] },
  emails: string[],
  created: CreatedContacts,
): { contactIds: string[]; companyIds: string[] } {
  const out = { contactIds: [...links.contactIds], companyIds: [...links.companyIds] };
  for (const e of emails) {
    const c = created.get(e);
    if (!c) continue;
    if (!out.contactIds.includes(c.contactId)) out.contactIds.push(c.contactId);
    if (c.companyId && !out.companyIds.includes(c.companyId)) out.companyIds.push(c.companyId);
  }
  return out;
}

export function describeError(
  e: ProviderError,
  side: 'crm' | 'calendar' | 'connector',
  itemId: string | null,
  what: string,
): RunError {
  const hint: Record<ProviderError['kind'], string> = {
    transient: 'the service was busy or unreachable; it is retried on the next run',
    auth: 'the authorization expired or was revoked; re-authorize the connection',
    forbidden: 'the connection lacks a permission for this',
    'not-found': 'the item no longer exists',
    conflict: 'it changed while the connector was writing; the next run picks up the change',
    invalid: 'the service rejected the request',
    permanent: 'the service refused it',
  };
  return {
    message: `${what} failed: ${hint[e.kind]} (${e.message}).`,
    kind: e.kind,
    side,
    itemId,
    retryable: e.kind === 'transient' || e.kind === 'conflict',
  };
}
