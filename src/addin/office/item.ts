/**
 * Reads the open Outlook item (message or appointment, read or compose) into plain data.
 * Mailbox 1.1 gives subject/start/end/attendees; the item id exists in read mode (compose: getItemIdAsync, 1.8,
 * only once the item was saved); an occurrence or exception names its series (seriesId, 1.7). Office.js exposes no
 * iCalUId and hands out EWS ids: both are converted to REST ids here, and the server resolves them to the event
 * (immutable id, seriesMasterId, iCalUId) through Graph.
 */
import { isSetSupported, officeGlobal } from './host';

export interface ItemPerson {
  email: string;
  name: string;
}

export interface CurrentItem {
  kind: 'message' | 'appointment';
  mode: 'read' | 'compose';
  /** REST (Graph) form of the item id, null for an unsaved compose item. */
  itemId: string | null;
  /** REST form of the series an occurrence or exception belongs to (Mailbox 1.7); null otherwise. */
  seriesId: string | null;
  /** For an appointment: whether the signed-in user organises it (compose is always the organiser's). */
  role: 'organizer' | 'attendee' | null;
  /** For an appointment: the organiser's lower-case e-mail (the signed-in user's in compose); null otherwise. */
  organizer: string | null;
  subject: string;
  /** ISO instants; null for messages. */
  start: string | null;
  end: string | null;
  /** Attendees of an appointment; sender and recipients of a message. Lower-case e-mails, no duplicates. */
  people: ItemPerson[];
}

type AsyncGetter<T> = { getAsync(cb: (r: Office.AsyncResult<T>) => void): void };

function fromAsync<T>(getter: AsyncGetter<T>): Promise<T | null> {
  return new Promise((resolve) => {
    getter.getAsync((r) => resolve(String(r.status) === 'succeeded' ? r.value : null));
  });
}

/** A property is a plain value in read mode and an object with getAsync in compose mode. */
async function readValue<T>(value: T | AsyncGetter<T> | undefined): Promise<T | null> {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && typeof (value as AsyncGetter<T>).getAsync === 'function') {
    return fromAsync(value as AsyncGetter<T>);
  }
  return value as T;
}

function toPeople(lists: (Office.EmailAddressDetails[] | Office.EmailAddressDetails | null)[]): ItemPerson[] {
  const seen = new Map<string, ItemPerson>();
  for (const list of lists) {
    if (!list) continue;
    for (const p of Array.isArray(list) ? list : [list]) {
      const email = (p.emailAddress ?? '').trim().toLowerCase();
      if (email && !seen.has(email)) seen.set(email, { email, name: p.displayName || email });
    }
  }
  return [...seen.values()];
}

function toIso(d: Date | null): string | null {
  return d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : null;
}

async function readItemId(item: Office.MessageRead | Office.AppointmentRead, compose: boolean): Promise<string | null> {
  let ewsId: string | null = null;
  if (!compose) ewsId = item.itemId ?? null;
  else if (isSetSupported('Mailbox', '1.8')) {
    const composeItem = item as unknown as Office.AppointmentCompose;
    ewsId = await new Promise<string | null>((resolve) =>
      composeItem.getItemIdAsync((r) => resolve(String(r.status) === 'succeeded' ? r.value : null)),
    );
  }
  return ewsId ? toRestId(ewsId) : null;
}

/** The server looks the event up through Graph, which speaks REST ids, not the EWS ids Office.js hands out. */
function toRestId(ewsId: string): string {
  const mailbox = officeGlobal()?.context.mailbox;
  const restVersion = officeGlobal()?.MailboxEnums?.RestVersion?.v2_0;
  // Outlook on Android and iOS already hands out REST ids (Office.js, item.seriesId / itemId notes).
  const platform = String(officeGlobal()?.context?.diagnostics?.platform ?? '');
  if (platform === 'Android' || platform === 'iOS') return ewsId;
  if (mailbox?.convertToRestId && restVersion) {
    try {
      return mailbox.convertToRestId(ewsId, restVersion);
    } catch {
      return ewsId;
    }
  }
  return ewsId;
}

/** The series of an occurrence or exception (Mailbox 1.7): null for single items, series masters and messages. */
function readSeriesId(item: Record<string, unknown>): string | null {
  if (!isSetSupported('Mailbox', '1.7')) return null;
  const raw = item['seriesId'];
  return typeof raw === 'string' && raw ? toRestId(raw) : null;
}

/** The item the pane was opened on, or null outside Outlook / with no item selected. */
export async function readCurrentItem(): Promise<CurrentItem | null> {
  const item = officeGlobal()?.context?.mailbox?.item as
    (Office.MessageRead & Office.AppointmentRead & Record<string, unknown>) | null | undefined;
  if (!item) return null;
  const kind: CurrentItem['kind'] = String(item.itemType) === 'appointment' ? 'appointment' : 'message';
  const subjectField = item.subject as unknown;
  const compose = typeof subjectField === 'object' && subjectField !== null;
  const subject = (await readValue<string>(subjectField as string | AsyncGetter<string>)) ?? '';
  let start: string | null = null;
  let end: string | null = null;
  let people: ItemPerson[];
  let role: CurrentItem['role'] = null;
  let organizerEmail: string | null = null;
  const own = officeGlobal()?.context.mailbox.userProfile?.emailAddress?.toLowerCase();
  if (kind === 'appointment') {
    start = toIso(await readValue<Date>(item.start as unknown as Date | AsyncGetter<Date>));
    end = toIso(await readValue<Date>(item.end as unknown as Date | AsyncGetter<Date>));
    const required = await readValue<Office.EmailAddressDetails[]>(
      item.requiredAttendees as unknown as AsyncGetter<Office.EmailAddressDetails[]>,
    );
    const optional = await readValue<Office.EmailAddressDetails[]>(
      item.optionalAttendees as unknown as AsyncGetter<Office.EmailAddressDetails[]>,
    );
    const organizer = compose ? null : ((item.organizer as Office.EmailAddressDetails | undefined) ?? null);
    people = toPeople([organizer, required, optional]);
    role = compose || (organizer?.emailAddress ?? '').toLowerCase() === own ? 'organizer' : 'attendee';
    organizerEmail = (compose ? own : organizer?.emailAddress?.trim().toLowerCase()) || null;
  } else {
    const from = compose ? null : ((item.from as Office.EmailAddressDetails | undefined) ?? null);
    const to = await readValue<Office.EmailAddressDetails[]>(
      item.to as unknown as AsyncGetter<Office.EmailAddressDetails[]>,
    );
    const cc = await readValue<Office.EmailAddressDetails[]>(
      item.cc as unknown as AsyncGetter<Office.EmailAddressDetails[]>,
    );
    people = toPeople([from, to, cc]);
  }
  return {
    kind,
    mode: compose ? 'compose' : 'read',
    itemId: await readItemId(item, compose),
    seriesId: kind === 'appointment' ? readSeriesId(item) : null,
    role,
    organizer: organizerEmail,
    subject,
    start,
    end,
    people: people.filter((p) => p.email !== own),
  };
}

/**
 * Calls the listener whenever the user selects another item while the pane is pinned (Mailbox 1.5).
 * Returns the function that stops listening.
 */
export function onItemChanged(listener: () => void): () => void {
  const mailbox = officeGlobal()?.context?.mailbox;
  if (!mailbox?.addHandlerAsync || !isSetSupported('Mailbox', '1.5')) return () => undefined;
  const type = officeGlobal()?.EventType?.ItemChanged ?? ('olkItemSelectedChanged' as unknown as Office.EventType);
  mailbox.addHandlerAsync(type, listener);
  return () => mailbox.removeHandlerAsync(type);
}

/** The signed-in mailbox's address (login hint for sign-in), null outside Outlook. */
export function mailboxUser(): { email: string; name: string } | null {
  const profile = officeGlobal()?.context?.mailbox?.userProfile;
  return profile?.emailAddress ? { email: profile.emailAddress.toLowerCase(), name: profile.displayName } : null;
}
