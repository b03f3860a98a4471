/** Table types of the Sandbox CRM (created by migration 0100_sandbox). */
export interface SandboxItemsTable {
  tenant_id: string;
  id: string;
  type: string;
  subject: string;
  /** JSON of the engine's Timing, or null (task without due date, undated note). */
  timing_json: string | null;
  /** For window queries: first/last instant the item covers (null = undated). */
  starts_at: string | null;
  ends_at: string | null;
  body: string;
  location: string;
  visibility: string;
  show_as: string;
  attendees_json: string;
  recurrence_json: string | null;
  reminder_minutes: number | null;
  completed: number;
  priority: string;
  /** 1 / 0 / null (never set). */
  sync_to_calendar: number | null;
  archived: number;
  ical_uid: string | null;
  origin: string;
  occurrence_json: string | null;
  contact_ids_json: string;
  company_ids_json: string;
  idempotency_key: string | null;
  version: number;
  /** Position in the tenant's change feed of the item's latest change. */
  change_seq: number;
  created_at: string;
  modified_at: string;
}

export interface SandboxItemOwnersTable {
  tenant_id: string;
  item_id: string;
  email: string;
}

export interface SandboxDeletionsTable {
  tenant_id: string;
  item_id: string;
  change_seq: number;
  /** JSON array of the owners' e-mails at deletion time: only they see the removal. */
  owners_json: string;
  deleted_at: string;
}

export interface SandboxFeedTable {
  tenant_id: string;
  last_seq: number;
}

export interface SandboxContactsTable {
  tenant_id: string;
  id: string;
  email: string;
  name: string | null;
  kind: string;
  company_id: string | null;
  created_at: string;
}

export interface SandboxCompaniesTable {
  tenant_id: string;
  id: string;
  name: string;
  domain: string | null;
  created_at: string;
}

export interface SandboxSchema {
  sandbox_items: SandboxItemsTable;
  sandbox_item_owners: SandboxItemOwnersTable;
  sandbox_deletions: SandboxDeletionsTable;
  sandbox_feed: SandboxFeedTable;
  sandbox_contacts: SandboxContactsTable;
  sandbox_companies: SandboxCompaniesTable;
}
