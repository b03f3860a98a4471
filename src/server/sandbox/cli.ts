/**
 * `crm-sync sandbox <email> add|update|delete|list|import …` (SPEC §11): act as the Sandbox CRM user from a
 * terminal or a script. Human output by default, JSON with the root `--json` option; failures throw an Error
 * whose message is the one-line reason the root CLI prints.
 */
import fs from 'node:fs';
import { Argument, Option, type Command } from 'commander';
import type { SandboxItemJson, SandboxRepository } from '../../providers/crm/sandbox';
import * as service from './service';

export interface SandboxCliDeps {
  /**
   * Opens the repository of the user with this e-mail (in `tenant`, or the only/default tenant), runs `fn`,
   * and closes what it opened. Throws when no such user exists.
   */
  withRepository<T>(email: string, tenant: string | undefined, fn: (repo: SandboxRepository) => Promise<T>): Promise<T>;
  /** Reads standard input (for `import -`); defaults to process.stdin. */
  readStdin?(): Promise<string>;
  /** Where output goes; defaults to process.stdout. */
  write?(text: string): void;
}

interface ItemOptions {
  type?: string;
  subject?: string;
  start?: string;
  end?: string;
  due?: string;
  allDay?: boolean;
  timeZone?: string;
  invitee?: string[];
  sync?: 'on' | 'off' | 'default';
  body?: string;
  location?: string;
  completed?: boolean;
  priority?: string;
  visibility?: string;
  reminder?: string;
  archived?: boolean;
  contact?: string[];
  company?: string[];
  name?: string;
  lead?: boolean;
  domain?: string;
  tenant?: string;
  json?: boolean;
}

const actions = [
  'add',
  'update',
  'delete',
  'list',
  'import',
  'contacts',
  'add-contact',
  'companies',
  'add-company',
] as const;
type Action = (typeof actions)[number];

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Only the options the user gave, in the public item shape. */
function itemFields(o: ItemOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (o.type !== undefined) out['type'] = o.type;
  if (o.subject !== undefined) out['subject'] = o.subject;
  if (o.start !== undefined) out['start'] = o.start;
  if (o.end !== undefined) out['end'] = o.end;
  if (o.due !== undefined) out['due'] = o.due;
  if (o.allDay !== undefined) out['allDay'] = o.allDay;
  if (o.timeZone !== undefined) out['timeZone'] = o.timeZone;
  if (o.invitee !== undefined) out['invitees'] = o.invitee;
  if (o.sync !== undefined) out['sync'] = o.sync === 'default' ? null : o.sync === 'on';
  if (o.body !== undefined) out['body'] = o.body;
  if (o.location !== undefined) out['location'] = o.location;
  if (o.completed !== undefined) out['completed'] = o.completed;
  if (o.priority !== undefined) out['priority'] = o.priority;
  if (o.visibility !== undefined) out['visibility'] = o.visibility;
  if (o.archived !== undefined) out['archived'] = o.archived;
  if (o.contact !== undefined) out['contactIds'] = o.contact;
  if (o.company !== undefined) out['companyIds'] = o.company;
  if (o.reminder !== undefined) {
    if (o.reminder === 'none') out['reminderMinutes'] = null;
    else if (/^\d+$/.test(o.reminder)) out['reminderMinutes'] = Number(o.reminder);
    else throw new Error('--reminder: expected minutes or "none"');
  }
  return out;
}

function describe(item: SandboxItemJson): string {
  const when =
    item.type === 'task'
      ? item.due
        ? `due ${item.due}`
        : 'no due date'
      : item.start
        ? `${item.start} → ${item.end}`
        : 'undated';
  const flags = [
    `sync ${item.sync === null ? 'default' : item.sync ? 'on' : 'off'}`,
    ...(item.completed ? ['completed'] : []),
    ...(item.archived ? ['archived'] : []),
    ...(item.invitees.length ? [`${item.invitees.length} invitee(s)`] : []),
  ];
  return `${item.id}  ${item.type.padEnd(9)} ${when}  ${item.subject}  [${flags.join(', ')}]`;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** Adds the `sandbox` command to the `crm-sync` program. */
export function registerSandboxCommands(program: Command, deps: SandboxCliDeps): Command {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const command = program
    .command('sandbox')
    .description('act as the Sandbox CRM user: add, update, delete, list and import activities')
    .argument('<email>', 'the connector user (the Sandbox CRM user is the same person)')
    .addArgument(new Argument('<action>', actions.join(' | ')).choices(actions))
    .argument('[args...]', 'update/delete: <id>; import: <file.json | ->; add-contact: <e-mail>; add-company: <name>')
    .addOption(new Option('--type <type>', 'activity type').choices(['meeting', 'call', 'follow-up', 'task', 'note']))
    .option('--subject <subject>', 'subject / title')
    .option('--start <iso>', 'start (ISO date-time; YYYY-MM-DD with --all-day)')
    .option('--end <iso>', 'end (ISO date-time; exclusive YYYY-MM-DD with --all-day)')
    .option('--due <iso>', 'task due date-time')
    .option('--all-day', 'start and end are dates')
    .option('--time-zone <iana>', 'IANA time zone the times were written in (default UTC)')
    .option('--invitee <email>', 'invitee e-mail (repeatable)', collect)
    .addOption(new Option('--sync <flag>', 'Sync to calendar flag').choices(['on', 'off', 'default']))
    .option('--body <text>', 'description')
    .option('--location <text>', 'location')
    .option('--completed', 'task completed')
    .option('--no-completed', 'task not completed')
    .addOption(new Option('--priority <p>', 'task priority').choices(['low', 'normal', 'high']))
    .addOption(new Option('--visibility <v>', 'visibility').choices(['normal', 'private']))
    .option('--reminder <minutes>', 'reminder minutes before start, or "none"')
    .option('--archived', 'archive the activity')
    .option('--no-archived', 'un-archive the activity')
    .option('--contact <id>', 'link a contact id (repeatable; default: the invitees that are contacts)', collect)
    .option('--company <id>', 'link a company id (repeatable); add-contact: the contact’s company id', collect)
    .option('--name <name>', 'add-contact: the person’s name')
    .option('--lead', 'add-contact: create a lead instead of a contact')
    .option('--domain <domain>', 'add-company: the company’s e-mail domain')
    .option('--tenant <id>', 'tenant of the user (when the database holds several)')
    .action(async (email: string, action: Action, args: string[], options: ItemOptions, cmd: Command) => {
      const json = Boolean(cmd.optsWithGlobals<{ json?: boolean }>().json);
      const out = (human: string, data: unknown) => write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
      const arg = (name: string): string => {
        const v = args[0];
        if (!v) throw new Error(`sandbox ${action}: missing <${name}>`);
        if (args.length > 1) throw new Error(`sandbox ${action}: unexpected argument ${args[1]}`);
        return v;
      };
      if (['add', 'list', 'contacts', 'companies'].includes(action) && args.length) {
        throw new Error(`sandbox ${action}: unexpected argument ${args[0]}`);
      }
      await deps.withRepository(email, options.tenant, async (repo) => {
        switch (action) {
          case 'add': {
            const item = await service.addItem(repo, itemFields(options));
            return out(item.id, item);
          }
          case 'update': {
            const fields = itemFields(options);
            if (Object.keys(fields).length === 0)
              throw new Error('sandbox update: nothing to change (give at least one option)');
            const item = await service.updateItem(repo, arg('id'), fields);
            return out(`updated ${describe(item)}`, item);
          }
          case 'delete': {
            const id = arg('id');
            await service.deleteItem(repo, id);
            return out(`deleted ${id}`, { deleted: id });
          }
          case 'list': {
            const items = await service.listItems(repo);
            return out(items.length ? items.map(describe).join('\n') : 'no activities', items);
          }
          case 'import': {
            const source = arg('file.json | -');
            // fs.promises, read here: every command registers this one, and node:fs/promises takes ~3 ms to load.
            const read =
              source === '-' ? (deps.readStdin?.() ?? readAll(process.stdin)) : fs.promises.readFile(source, 'utf8');
            const text = await read;
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch (e) {
              throw new Error(`sandbox import: not JSON (${e instanceof Error ? e.message : String(e)})`);
            }
            if (!Array.isArray(parsed)) throw new Error('sandbox import: expected a JSON array of items');
            const items = await service.addItems(repo, parsed);
            return out(`imported ${items.length} item(s)\n${items.map((i) => i.id).join('\n')}`.trimEnd(), items);
          }
          case 'contacts': {
            const contacts = await repo.listContacts();
            return out(
              contacts.length
                ? contacts
                    .map((c) => `${c.id}  ${c.kind.padEnd(7)} ${c.email}${c.name ? `  ${c.name}` : ''}`)
                    .join('\n')
                : 'no contacts',
              contacts,
            );
          }
          case 'add-contact': {
            const contact = await service.addContact(repo, {
              email: arg('e-mail'),
              name: options.name ?? null,
              kind: options.lead ? 'lead' : 'contact',
              companyId: options.company?.[0] ?? null,
            });
            return out(contact.id, contact);
          }
          case 'companies': {
            const companies = await repo.listCompanies();
            return out(
              companies.length
                ? companies.map((c) => `${c.id}  ${c.name}${c.domain ? `  (${c.domain})` : ''}`).join('\n')
                : 'no companies',
              companies,
            );
          }
          case 'add-company': {
            const company = await service.addCompany(repo, { name: arg('name'), domain: options.domain ?? null });
            return out(company.id, company);
          }
        }
      });
    });
  return command;
}
