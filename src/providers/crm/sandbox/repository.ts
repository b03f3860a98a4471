/**
 * The Sandbox CRM's storage port. The provider, the /sandbox/v1 API and the CLI all go through it; the server
 * implements it over its database (src/server/sandbox). One instance is scoped to one tenant and one CRM user:
 * activities are visible to the users who own them, contacts and companies are shared by the tenant (as in a
 * real CRM), and nothing ever crosses tenants.
 */
import type {
  ActivityType,
  OccurrenceRef,
  Person,
  Priority,
  Recurrence,
  ShowAs,
  Timing,
  Visibility,
} from '../../../sync/model';

export interface SandboxScope {
  tenantId: string;
  /** The CRM user, by e-mail (lower case): owners of activities are users' e-mails. */
  userEmail: string;
}

/** Everything a person or the connector can set on a Sandbox activity. */
export interface SandboxItemData {
  type: ActivityType;
  subject: string;
  /** Tasks: the due instant as a zero-length timed range, or null without a due date. */
  timing: Timing | null;
  body: string;
  location: string;
  visibility: Visibility;
  showAs: ShowAs;
  attendees: Person[];
  recurrence: Recurrence | null;
  reminderMinutes: number | null;
  completed: boolean;
  priority: Priority;
  /** The per-record Sync-to-calendar flag; null = never set, so the connector's default rule applies. */
  syncToCalendar: boolean | null;
  archived: boolean;
  iCalUId: string | null;
  origin: 'crm' | 'calendar';
  occurrence: OccurrenceRef | null;
  links: { contactIds: string[]; companyIds: string[] };
}

export interface SandboxItem extends SandboxItemData {
  id: string;
  /** Increases on every change; used for If-Match. */
  version: number;
  createdAt: string;
  modifiedAt: string;
  ownerEmails: string[];
}

export interface SandboxContact {
  id: string;
  email: string;
  name: string | null;
  kind: 'contact' | 'lead';
  companyId: string | null;
}

export interface SandboxCompany {
  id: string;
  name: string;
  domain: string | null;
}

/** One page of the change feed, in the order changes happened. */
export interface SandboxChangePage {
  items: SandboxItem[];
  /** Deleted items the user owned when they were deleted. */
  removedIds: string[];
  /** Position after this page; pass it back to continue. */
  position: number;
  more: boolean;
}

export type SandboxErrorKind = 'not-found' | 'conflict' | 'invalid';

export class SandboxError extends Error {
  readonly kind: SandboxErrorKind;
  constructor(kind: SandboxErrorKind, message: string) {
    super(message);
    this.name = 'SandboxError';
    this.kind = kind;
  }
}

export interface SandboxRepository {
  readonly scope: SandboxScope;
  /**
   * Changes to the user's activities after `position` (0 = from the beginning: every activity the user owns,
   * and no removals). Items appear once, at their latest change.
   */
  changes(position: number, limit: number): Promise<SandboxChangePage>;
  /** All the user's activities, newest change last. */
  listItems(options?: { includeArchived?: boolean }): Promise<SandboxItem[]>;
  /** One of the user's activities, or null. */
  getItem(id: string): Promise<SandboxItem | null>;
  /** Activities with these iCalUIds in the whole tenant, whoever owns them. */
  findByICalUId(iCalUIds: string[]): Promise<SandboxItem[]>;
  /**
   * Creates activities owned by the user, all or none. With an idempotency key, a create that already happened
   * returns the existing activity instead of a second one.
   */
  createItems(inputs: { data: SandboxItemData; idempotencyKey?: string | null }[]): Promise<SandboxItem[]>;
  /** Changes some fields; `ifVersion` (when given) must match. Throws SandboxError not-found / conflict. */
  updateItem(id: string, patch: Partial<SandboxItemData>, ifVersion?: number | null): Promise<SandboxItem>;
  /**
   * Several `updateItem`s in one transaction (one commit): each succeeds or fails on its own, its answer in its
   * place (the item, or the SandboxError `updateItem` would have thrown).
   */
  updateItems(
    updates: { id: string; patch: Partial<SandboxItemData>; ifVersion?: number | null }[],
  ): Promise<(SandboxItem | SandboxError)[]>;
  /** Deletes for good (a CRM deletion the connector sees as a removal). */
  deleteItem(id: string): Promise<void>;
  /** Shares a tenant activity with another CRM user (one activity per meeting, linked to each attendee user). */
  addOwner(id: string, email: string): Promise<SandboxItem>;
  /** Contacts and leads whose e-mail is one of these (case-insensitive). */
  findPeople(emails: string[]): Promise<SandboxContact[]>;
  listContacts(): Promise<SandboxContact[]>;
  createContact(input: Omit<SandboxContact, 'id'>): Promise<SandboxContact>;
  listCompanies(): Promise<SandboxCompany[]>;
  createCompany(input: Omit<SandboxCompany, 'id'>): Promise<SandboxCompany>;
}

export type SandboxRepositoryFactory = (scope: SandboxScope) => SandboxRepository;
