/**
 * A LinkRecord as one string, the way the in-memory status store keeps it (like a database row), and the link
 * loadLinks hands out for a row.
 *
 *   <scalars> "\n" <field values as a JSON array>
 *
 * Why a string: at 100,000 links an object per link with strings of its own cost about 830 bytes a link (no pointer
 * compression on this Node: 8 bytes a slot, 16–24 bytes of header per string); a row costs its characters.
 * To keep rows short:
 * - crmId and eventId are left out when the id is the planner's pair id `${crmId}\u0001${eventId}`;
 * - calendarId and syncedAt are the same for a whole run: rows hold their index in a StringTable;
 * - the origin, the optional booleans and which optional values are present are bits of one number;
 * - field values are packed (field-packing.ts), and the event side's are 0 when they equal the CRM side's.
 *
 * A run reads the scalars of every link (ids, versions, hashes, flags) and the field values only of the pairs it
 * looks at, so the two parts are decoded separately: the scalars when a link is loaded, the field values on the
 * first read of any of them. The scalars are tab-separated plain text, cut with indexOf (about twice as fast as
 * JSON.parse of the same values); a link whose scalar strings contain a tab or a line break, or that
 * has a heldPush, has them as a JSON array instead (JSON escapes every line break, so the first "\n" of a row
 * always ends its scalars; the JSON form starts with "[", the plain one with a digit). Wide characters are escaped
 * where that keeps the row in V8's one-byte form (compactJson).
 */
import type { LinkRecord } from '../status-store';
import { packCrmInfo, packFields, unpackCrmInfo, unpackFields } from './field-packing';
import { compactJson, flatString, plainEqual } from './plain';

/** The parts of a link that are object graphs, decoded only when someone reads them. */
export const HEAVY = ['crmFields', 'eventFields', 'crmInfo', 'occurrence'] as const;
export type Heavy = (typeof HEAVY)[number];

const SEPARATOR = '\n';
const TAB = '\t';
const PAIR_ID_JOIN = '\u0001';

/** Strings shared by many rows (calendar ids, run instants), each kept once; rows hold the index. */
export class StringTable {
  private readonly indexOf = new Map<string, number>();
  private readonly values: string[] = [];

  /** Never shrinks: it holds one entry per distinct calendar and run instant ever stored, a few per run. */
  intern(value: string): number {
    let i = this.indexOf.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.indexOf.set(value, i);
    }
    return i;
  }

  at(index: number): string {
    const value = this.values[index];
    if (value === undefined) throw new Error(`link row refers to unknown shared string ${index}`);
    return value;
  }
}

// Bits of the flags number.
const ORIGIN_CALENDAR = 1;
const HAS_CRM_INFO = 2;
const HAS_OCCURRENCE = 4;
/** crmId and eventId are not in the row: they are the two halves of the id. */
const PAIR_ID = 8;
const NO_ICAL_UID = 16;
/** Optional booleans, two bits each from this bit on: 0 absent, 1 false, 2 true. */
const OPTIONAL_SHIFT = 5;
const OPTIONAL_BOOLEANS = ['eventIsOrganizer', 'iCalUIdOwed', 'eventWritesNotify', 'heldDelete'] as const;

/** The scalars in row order. Strings not stored (pair-id halves, a null iCalUId) are empty here. */
type Scalars = [
  flags: number,
  calendar: number,
  syncedAt: number,
  crmVersion: string,
  eventVersion: string,
  crmHash: string,
  eventHash: string,
  iCalUId: string,
  crmId: string,
  eventId: string,
  heldPush?: LinkRecord['heldPush'],
];
const PLAIN_FIELDS = 10;
/** What a scalar may hold in the plain form: no tab, no line break, nothing wide (see compactJson). */
const PLAIN_TEXT = /^[^\t\n\u0100-\uffff]*$/;

/** [crmFields, eventFields or 0 when equal to crmFields, crmInfo or 0, occurrence or 0], each packed. */
type HeavyValues = [unknown, unknown, unknown, unknown];

function isPairId(link: LinkRecord): boolean {
  return !link.crmId.includes(PAIR_ID_JOIN) && link.id === `${link.crmId}${PAIR_ID_JOIN}${link.eventId}`;
}

function encodeFlags(link: LinkRecord, pairId: boolean): number {
  let flags = link.origin === 'calendar' ? ORIGIN_CALENDAR : 0;
  if (link.crmInfo !== undefined) flags |= HAS_CRM_INFO;
  if (link.occurrence !== undefined) flags |= HAS_OCCURRENCE;
  if (pairId) flags |= PAIR_ID;
  if (link.iCalUId === null) flags |= NO_ICAL_UID;
  OPTIONAL_BOOLEANS.forEach((key, i) => {
    const value = link[key];
    if (value !== undefined) flags |= (value ? 2 : 1) << (OPTIONAL_SHIFT + 2 * i);
  });
  return flags;
}

function optionalBoolean(flags: number, position: number): boolean | undefined {
  const bits = (flags >> (OPTIONAL_SHIFT + 2 * position)) & 3;
  return bits === 0 ? undefined : bits === 2;
}

function encodeScalars(link: LinkRecord, shared: StringTable): string {
  const pairId = isPairId(link);
  const s: Scalars = [
    encodeFlags(link, pairId),
    shared.intern(link.calendarId),
    shared.intern(link.syncedAt),
    link.crmVersion,
    link.eventVersion,
    link.crmHash,
    link.eventHash,
    link.iCalUId ?? '',
    pairId ? '' : link.crmId,
    pairId ? '' : link.eventId,
  ];
  if (link.heldPush !== undefined) s.push(link.heldPush);
  const plain = s.length === PLAIN_FIELDS && s.every((v) => typeof v !== 'string' || PLAIN_TEXT.test(v));
  return plain ? s.join(TAB) : compactJson(JSON.stringify(s));
}

/**
 * One array for every plain row decoded: the constructor copies the values out at once (decoding is synchronous),
 * so loading 100,000 links does not also allocate 100,000 short-lived arrays for the collector to sweep.
 */
const plainScalars: Scalars = [0, 0, 0, '', '', '', '', '', '', ''];

const TAB_CODE = 9;
const ZERO_CODE = 48;
/** The three numbers lead the plain form. */
const PLAIN_NUMBERS = 3;

function decodeScalars(row: string, end: number): Scalars {
  if (row.startsWith('[')) return JSON.parse(row.slice(0, end)) as Scalars;
  let from = 0;
  // Digits are read in place: no temporary string per number (300,000 of them for 100,000 links).
  for (let i = 0; i < PLAIN_NUMBERS; i++) {
    let n = 0;
    for (let c = row.charCodeAt(from); c !== TAB_CODE && from < end; c = row.charCodeAt(++from))
      n = n * 10 + (c - ZERO_CODE);
    plainScalars[i] = n;
    from++;
  }
  for (let i = PLAIN_NUMBERS; i < PLAIN_FIELDS; i++) {
    let to = i === PLAIN_FIELDS - 1 ? end : row.indexOf(TAB, from);
    if (to < 0 || to > end) to = end;
    plainScalars[i] = row.slice(from, to);
    from = to + 1;
  }
  return plainScalars;
}

export function encodeLinkRow(link: LinkRecord, shared: StringTable): string {
  const heavy: HeavyValues = [
    packFields(link.crmFields),
    plainEqual(link.eventFields, link.crmFields) ? 0 : packFields(link.eventFields),
    link.crmInfo === undefined ? 0 : packCrmInfo(link.crmInfo),
    link.occurrence ?? 0,
  ];
  return flatString(encodeScalars(link, shared) + SEPARATOR + compactJson(JSON.stringify(heavy)));
}

/** The field values, fresh objects on every call; absent optional values are undefined. */
export function decodeLinkHeavy(row: string): Pick<LinkRecord, Heavy> {
  const [crm, event, crmInfo, occurrence] = JSON.parse(row.slice(row.indexOf(SEPARATOR) + 1)) as HeavyValues;
  return {
    crmFields: unpackFields(crm),
    eventFields: unpackFields(event === 0 ? crm : event),
    crmInfo: crmInfo === 0 ? undefined : unpackCrmInfo(crmInfo),
    occurrence: occurrence === 0 ? undefined : (occurrence as LinkRecord['occurrence']),
  };
}

function dataProperty(link: object, key: Heavy, value: unknown): void {
  Object.defineProperty(link, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * A link as loadLinks hands it out: its scalars decoded from the row, its field values as accessors that decode
 * them on the first read of any of them (a write replaces the accessor with the written value). The row it came
 * from is kept in a private field (invisible to spreads and comparisons; strings are immutable, so a later upsert
 * cannot change what this link shows). A class, not an object literal: the private field costs no
 * Object.defineProperty call, and the optional properties added below fit in the instance.
 *
 * Cost, measured at 100k: the three accessors (Object.defineProperty, about 0.6 µs a link, also paid when links were
 * objects) are most of loadLinks; the new strings for ids, versions and hashes are the rest. Own accessors are
 * needed: the engine spreads links (`{ ...link, crmVersion }`), and a spread only copies own properties.
 */
export class LoadedLink {
  declare id: string;
  declare crmId: string;
  declare eventId: string;
  declare calendarId: string;
  declare iCalUId: string | null;
  declare origin: LinkRecord['origin'];
  declare crmVersion: string;
  declare eventVersion: string;
  declare crmHash: string;
  declare eventHash: string;
  declare syncedAt: string;
  declare eventIsOrganizer?: boolean;
  declare iCalUIdOwed?: boolean;
  declare eventWritesNotify?: boolean;
  declare heldDelete?: boolean;
  declare heldPush?: LinkRecord['heldPush'];
  readonly #row: string;

  /** One descriptor per field-value key, shared by every loaded link (no closure per link). */
  static readonly #lazy: Record<Heavy, PropertyDescriptor> = Object.fromEntries(
    HEAVY.map((key) => [
      key,
      {
        enumerable: true,
        configurable: true,
        get(this: LoadedLink): unknown {
          this.#materialize();
          return (this as unknown as Record<Heavy, unknown>)[key];
        },
        set(this: LoadedLink, value: unknown): void {
          dataProperty(this, key, value);
        },
      },
    ]),
  ) as Record<Heavy, PropertyDescriptor>;

  /** The id is the store's key (shared, not copied); the row is the stored string itself. */
  constructor(id: string, row: string, shared: StringTable) {
    const end = row.indexOf(SEPARATOR);
    const s = decodeScalars(row, end);
    const flags = s[0];
    const join = flags & PAIR_ID ? id.indexOf(PAIR_ID_JOIN) : -1;
    this.id = id;
    this.crmId = join >= 0 ? id.slice(0, join) : s[8];
    this.eventId = join >= 0 ? id.slice(join + 1) : s[9];
    this.calendarId = shared.at(s[1]);
    this.iCalUId = flags & NO_ICAL_UID ? null : s[7];
    this.origin = flags & ORIGIN_CALENDAR ? 'calendar' : 'crm';
    this.crmVersion = s[3];
    this.eventVersion = s[4];
    this.crmHash = s[5];
    this.eventHash = s[6];
    this.syncedAt = shared.at(s[2]);
    // Spelled out (not a loop over the keys) so every store is to a named property: this runs for every link.
    const organizer = optionalBoolean(flags, 0);
    if (organizer !== undefined) this.eventIsOrganizer = organizer;
    const owed = optionalBoolean(flags, 1);
    if (owed !== undefined) this.iCalUIdOwed = owed;
    const notifies = optionalBoolean(flags, 2);
    if (notifies !== undefined) this.eventWritesNotify = notifies;
    const heldDelete = optionalBoolean(flags, 3);
    if (heldDelete !== undefined) this.heldDelete = heldDelete;
    if (s[10] !== undefined) this.heldPush = s[10];
    this.#row = row;
    Object.defineProperty(this, 'crmFields', LoadedLink.#lazy.crmFields);
    Object.defineProperty(this, 'eventFields', LoadedLink.#lazy.eventFields);
    if (flags & HAS_CRM_INFO) Object.defineProperty(this, 'crmInfo', LoadedLink.#lazy.crmInfo);
    if (flags & HAS_OCCURRENCE) Object.defineProperty(this, 'occurrence', LoadedLink.#lazy.occurrence);
  }

  /** Turns every field-value accessor still in place into a data property holding a fresh copy. */
  #materialize(): void {
    const values = decodeLinkHeavy(this.#row);
    for (const key of HEAVY) {
      if (Object.getOwnPropertyDescriptor(this, key)?.get) dataProperty(this, key, values[key]);
    }
  }
}

/** The link loadLinks hands out for a stored row. */
export function loadLinkRow(id: string, row: string, shared: StringTable): LinkRecord {
  return new LoadedLink(id, row, shared) as unknown as LinkRecord;
}
