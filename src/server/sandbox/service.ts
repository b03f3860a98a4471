/**
 * What a person acting as the Sandbox CRM user can do, shared by the /sandbox/v1 API and the CLI: validate the
 * input (errors name the field), link invitees to contacts, and write through the repository.
 */
import { z } from 'zod';
import {
  applyItemPatch,
  fromItemInput,
  SandboxError,
  SandboxInputError,
  sandboxItemInputSchema,
  sandboxItemPatchSchema,
  toItemJson,
  withResolvedLinks,
  type SandboxCompany,
  type SandboxContact,
  type SandboxItemJson,
  type SandboxRepository,
} from '../../providers/crm/sandbox';

function parse<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = prefix + (issue?.path.map(String).join('.') || 'body');
  throw new SandboxInputError(field, issue?.message ?? 'invalid');
}

async function checkLinks(repo: SandboxRepository, contactIds: string[], companyIds: string[]): Promise<void> {
  if (contactIds.length) {
    const known = new Set((await repo.listContacts()).map((c) => c.id));
    const missing = contactIds.find((id) => !known.has(id));
    if (missing) throw new SandboxInputError('contactIds', `no contact ${missing}`);
  }
  if (companyIds.length) {
    const known = new Set((await repo.listCompanies()).map((c) => c.id));
    const missing = companyIds.find((id) => !known.has(id));
    if (missing) throw new SandboxInputError('companyIds', `no company ${missing}`);
  }
}

/** Validates every item before writing any, then creates them all in one transaction. */
export async function addItems(repo: SandboxRepository, raw: unknown[]): Promise<SandboxItemJson[]> {
  const prepared = [];
  for (const [i, value] of raw.entries()) {
    const prefix = raw.length > 1 ? `[${i}].` : '';
    const input = parse(sandboxItemInputSchema, value, prefix);
    let data;
    try {
      data = fromItemInput(input);
    } catch (e) {
      if (e instanceof SandboxInputError)
        throw new SandboxInputError(prefix + e.field, e.message.replace(/^[^:]+: /, ''));
      throw e;
    }
    const explicit = input.contactIds !== undefined || input.companyIds !== undefined;
    await checkLinks(repo, data.links.contactIds, data.links.companyIds);
    prepared.push({ data: await withResolvedLinks(repo, data, explicit) });
  }
  return (await repo.createItems(prepared)).map(toItemJson);
}

export async function addItem(repo: SandboxRepository, raw: unknown): Promise<SandboxItemJson> {
  const [item] = await addItems(repo, [raw]);
  if (!item) throw new Error('create returned nothing');
  return item;
}

export async function updateItem(
  repo: SandboxRepository,
  id: string,
  raw: unknown,
  ifVersion: number | null = null,
): Promise<SandboxItemJson> {
  const patch = parse(sandboxItemPatchSchema, raw);
  const current = await repo.getItem(id);
  if (!current) throw new SandboxError('not-found', `no activity ${id}`);
  const merged = applyItemPatch(current, patch);
  const explicit = patch.contactIds !== undefined || patch.companyIds !== undefined;
  await checkLinks(repo, merged.links.contactIds, merged.links.companyIds);
  const data = patch.invitees !== undefined ? await withResolvedLinks(repo, merged, explicit) : merged;
  return toItemJson(await repo.updateItem(id, data, ifVersion ?? current.version));
}

export async function deleteItem(repo: SandboxRepository, id: string): Promise<void> {
  await repo.deleteItem(id);
}

export async function getItem(repo: SandboxRepository, id: string): Promise<SandboxItemJson> {
  const item = await repo.getItem(id);
  if (!item) throw new SandboxError('not-found', `no activity ${id}`);
  return toItemJson(item);
}

export async function listItems(repo: SandboxRepository, includeArchived = true): Promise<SandboxItemJson[]> {
  return (await repo.listItems({ includeArchived })).map(toItemJson);
}

export const contactInputSchema = z.strictObject({
  email: z.email(),
  name: z.string().trim().min(1).max(255).nullable().optional(),
  kind: z.enum(['contact', 'lead']).optional(),
  companyId: z.string().nullable().optional(),
});

export async function addContact(repo: SandboxRepository, raw: unknown): Promise<SandboxContact> {
  const input = parse(contactInputSchema, raw);
  return repo.createContact({
    email: input.email,
    name: input.name ?? null,
    kind: input.kind ?? 'contact',
    companyId: input.companyId ?? null,
  });
}

export const companyInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(255),
  domain: z
    .string()
    .trim()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'expected a domain such as example.com')
    .nullable()
    .optional(),
});

export async function addCompany(repo: SandboxRepository, raw: unknown): Promise<SandboxCompany> {
  const input = parse(companyInputSchema, raw);
  return repo.createCompany({ name: input.name, domain: input.domain ?? null });
}
