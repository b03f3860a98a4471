import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Command } from 'commander';
import { sandboxRoutes } from '../../../../src/server/sandbox/routes';
import { registerSandboxCommands } from '../../../../src/server/sandbox/cli';
import type { SandboxItemJson } from '../../../../src/providers/crm/sandbox';
import { openSandboxDb, type SandboxDb } from './sandbox-support';

let sdb: SandboxDb;
beforeAll(async () => {
  sdb = await openSandboxDb();
});
afterAll(() => sdb.db.close());

describe('/sandbox/v1', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    await app.register(sandboxRoutes, {
      repoFor: sdb.repoFor,
      // The test's stand-in for the server's auth: a bearer naming tenant and user.
      authenticate: async (request) => {
        const m = /^Bearer (\w+):(.+)$/.exec(request.headers.authorization ?? '');
        return m ? { tenantId: m[1]!, userEmail: m[2]! } : null;
      },
    });
    await app.ready();
  });
  afterAll(() => app.close());
  const as = (who: string) => ({ authorization: `Bearer api:${who}` });

  test('requires sign-in', async () => {
    const res = await app.inject({ method: 'GET', url: '/sandbox/v1/items' });
    expect(res.statusCode).toBe(401);
  });

  test('create, read, patch with If-Match, list, delete; invitees are linked to contacts and companies', async () => {
    const company = (
      await app.inject({
        method: 'POST',
        url: '/sandbox/v1/companies',
        headers: as('a@corp.example'),
        payload: { name: 'Acme', domain: 'acme.example' },
      })
    ).json<{ id: string }>();
    const contact = (
      await app.inject({
        method: 'POST',
        url: '/sandbox/v1/contacts',
        headers: as('a@corp.example'),
        payload: { email: 'ann@acme.example', companyId: company.id },
      })
    ).json<{ id: string }>();
    const created = await app.inject({
      method: 'POST',
      url: '/sandbox/v1/items',
      headers: as('a@corp.example'),
      payload: {
        type: 'meeting',
        subject: 'Kick-off',
        start: '2030-05-01T09:00:00+02:00',
        end: '2030-05-01T10:00:00+02:00',
        timeZone: 'Europe/Berlin',
        invitees: ['Ann@Acme.example'],
      },
    });
    expect(created.statusCode).toBe(201);
    const item = created.json<SandboxItemJson>();
    expect(item).toMatchObject({
      start: '2030-05-01T07:00:00.000Z',
      invitees: ['ann@acme.example'],
      contactIds: [contact.id],
      companyIds: [company.id],
      sync: null,
      version: 1,
    });

    const stale = await app.inject({
      method: 'PATCH',
      url: `/sandbox/v1/items/${item.id}`,
      headers: { ...as('a@corp.example'), 'if-match': '"7"' },
      payload: { subject: 'x' },
    });
    expect(stale.statusCode).toBe(412);
    const patched = await app.inject({
      method: 'PATCH',
      url: `/sandbox/v1/items/${item.id}`,
      headers: { ...as('a@corp.example'), 'if-match': '"1"' },
      payload: { sync: false, end: '2030-05-01T08:30:00Z' },
    });
    expect(patched.json()).toMatchObject({
      sync: false,
      start: '2030-05-01T07:00:00.000Z',
      end: '2030-05-01T08:30:00.000Z',
      version: 2,
    });

    expect(
      (await app.inject({ method: 'GET', url: `/sandbox/v1/items/${item.id}`, headers: as('b@corp.example') }))
        .statusCode,
    ).toBe(404);
    expect(
      (await app.inject({ method: 'GET', url: '/sandbox/v1/items', headers: as('a@corp.example') })).json().items,
    ).toHaveLength(1);
    expect(
      (await app.inject({ method: 'DELETE', url: `/sandbox/v1/items/${item.id}`, headers: as('a@corp.example') }))
        .statusCode,
    ).toBe(204);
    expect(
      (await app.inject({ method: 'GET', url: `/sandbox/v1/items/${item.id}`, headers: as('a@corp.example') }))
        .statusCode,
    ).toBe(404);
  });

  test('bad input gets a 400 naming the field and stores nothing', async () => {
    const bad = [
      [{ type: 'meeting', subject: 'x', start: '2030-01-01T10:00:00Z' }, 'end'],
      [{ type: 'meeting', subject: 'x', start: '2030-01-01T10:00:00Z', end: '2030-01-01T09:00:00Z' }, 'end'],
      [{ type: 'task', subject: 'x', due: 'tomorrow' }, 'due'],
      [{ type: 'webinar', subject: 'x' }, 'type'],
      [{ type: 'note', subject: '  ' }, 'subject'],
      [{ type: 'note', subject: 'n', invitees: ['not-an-email'] }, 'invitees.0'],
      [{ type: 'note', subject: 'n', colour: 'red' }, 'body'],
      [
        {
          type: 'meeting',
          subject: 'x',
          start: '2030-01-01T10:00:00Z',
          end: '2030-01-01T11:00:00Z',
          timeZone: 'Mars/Olympus',
        },
        'timeZone',
      ],
    ] as const;
    for (const [payload, field] of bad) {
      const res = await app.inject({
        method: 'POST',
        url: '/sandbox/v1/items',
        headers: as('c@corp.example'),
        payload,
      });
      expect([res.statusCode, res.json().field]).toEqual([400, field]);
    }
    const importBad = await app.inject({
      method: 'POST',
      url: '/sandbox/v1/items/import',
      headers: as('c@corp.example'),
      payload: [
        { type: 'note', subject: 'ok' },
        { type: 'task', subject: 't', start: '2030-01-01T10:00:00Z' },
      ],
    });
    expect([importBad.statusCode, importBad.json().field]).toEqual([400, '[1].start']);
    expect(
      (await app.inject({ method: 'GET', url: '/sandbox/v1/items', headers: as('c@corp.example') })).json().items,
    ).toEqual([]);
  });
});

describe('crm-sync sandbox', () => {
  const run = async (args: string[], stdin = '') => {
    let output = '';
    const program = new Command('crm-sync').option('--json').exitOverride();
    registerSandboxCommands(program, {
      withRepository: async (email, tenant, fn) => fn(sdb.repoFor({ tenantId: tenant ?? 'cli', userEmail: email })),
      readStdin: () => Promise.resolve(stdin),
      write: (t) => {
        output += t;
      },
    });
    await program.parseAsync(args, { from: 'user' });
    return output.trim();
  };

  test('add prints the id; update, list, delete as in SPEC §11; --json prints the item shape import takes', async () => {
    const id = await run([
      'sandbox',
      'sam@corp.example',
      'add',
      '--type',
      'call',
      '--subject',
      'Call Ann',
      '--start',
      '2030-02-01T10:00:00Z',
      '--end',
      '2030-02-01T10:30:00Z',
      '--invitee',
      'ann@acme.example',
      '--invitee',
      'bo@acme.example',
      '--sync',
      'on',
    ]);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const taskJson = JSON.parse(
      await run([
        '--json',
        'sandbox',
        'sam@corp.example',
        'add',
        '--type',
        'task',
        '--subject',
        'Send offer',
        '--due',
        '2030-02-02T12:00:00Z',
      ]),
    ) as SandboxItemJson;
    expect(taskJson).toMatchObject({ type: 'task', due: '2030-02-02T12:00:00.000Z', start: null, sync: null });

    expect(
      await run(['sandbox', 'sam@corp.example', 'update', id, '--subject', 'Call Ann back', '--sync', 'off']),
    ).toContain('Call Ann back');
    const list = await run(['sandbox', 'sam@corp.example', 'list']);
    expect(list).toContain(
      `${id}  call      2030-02-01T10:00:00.000Z → 2030-02-01T10:30:00.000Z  Call Ann back  [sync off, 2 invitee(s)]`,
    );
    expect(list).toContain('due 2030-02-02T12:00:00.000Z  Send offer  [sync default]');

    const listed = JSON.parse(await run(['sandbox', 'sam@corp.example', 'list', '--json'])) as SandboxItemJson[];
    expect(listed).toHaveLength(2);

    // import takes exactly what list --json printed (into another user's sandbox)
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-cli-')), 'items.json');
    fs.writeFileSync(file, JSON.stringify(listed));
    expect(await run(['sandbox', 'tom@corp.example', 'import', file])).toMatch(/^imported 2 item\(s\)/);
    const imported = JSON.parse(await run(['--json', 'sandbox', 'tom@corp.example', 'list'])) as SandboxItemJson[];
    const strip = (i: SandboxItemJson) => ({ ...i, id: '', owners: [], createdAt: '', modifiedAt: '', version: 0 });
    expect(imported.map(strip).sort((a, b) => a.subject.localeCompare(b.subject))).toEqual(
      listed.map(strip).sort((a, b) => a.subject.localeCompare(b.subject)),
    );
    expect(
      await run(['sandbox', 'tom@corp.example', 'import', '-'], '[{"type":"note","subject":"from stdin"}]'),
    ).toMatch(/^imported 1 item/);

    expect(await run(['sandbox', 'sam@corp.example', 'delete', id])).toBe(`deleted ${id}`);
    expect(await run(['sandbox', 'sam@corp.example', 'list'])).not.toContain(id);
  });

  test('failures are one-line reasons naming the problem', async () => {
    await expect(
      run([
        'sandbox',
        'sam@corp.example',
        'add',
        '--type',
        'meeting',
        '--subject',
        'x',
        '--start',
        '2030-01-01T10:00:00Z',
      ]),
    ).rejects.toThrow('end: missing');
    await expect(
      run(['sandbox', 'sam@corp.example', 'add', '--type', 'task', '--subject', 'x', '--due', 'soon']),
    ).rejects.toThrow(/^due: /);
    await expect(run(['sandbox', 'sam@corp.example', 'update', 'nope', '--subject', 'x'])).rejects.toThrow(
      'no activity nope',
    );
    await expect(run(['sandbox', 'sam@corp.example', 'update', 'nope'])).rejects.toThrow('nothing to change');
    await expect(run(['sandbox', 'sam@corp.example', 'delete'])).rejects.toThrow('missing <id>');
    await expect(run(['sandbox', 'sam@corp.example', 'import', '-'], '{"type":"note"}')).rejects.toThrow(
      'expected a JSON array',
    );
    await expect(
      run(
        ['sandbox', 'sam@corp.example', 'import', '-'],
        '[{"type":"note","subject":"ok"},{"type":"meeting","subject":"bad"}]',
      ),
    ).rejects.toThrow('[1].start');
    await expect(run(['sandbox', 'sam@corp.example', 'frobnicate'])).rejects.toThrow();
  });

  test('contacts and companies', async () => {
    const company = await run(['sandbox', 'sam@corp.example', 'add-company', 'Acme', '--domain', 'acme.example']);
    const contact = await run([
      'sandbox',
      'sam@corp.example',
      'add-contact',
      'ann@acme.example',
      '--name',
      'Ann',
      '--company',
      company,
    ]);
    expect(await run(['sandbox', 'sam@corp.example', 'contacts'])).toContain(
      `${contact}  contact ann@acme.example  Ann`,
    );
    expect(await run(['sandbox', 'sam@corp.example', 'companies'])).toContain(`${company}  Acme  (acme.example)`);
    const id = await run([
      'sandbox',
      'sam@corp.example',
      'add',
      '--type',
      'meeting',
      '--subject',
      'm',
      '--start',
      '2030-02-01T10:00:00Z',
      '--end',
      '2030-02-01T11:00:00Z',
      '--invitee',
      'ann@acme.example',
    ]);
    const item = JSON.parse(await run(['--json', 'sandbox', 'sam@corp.example', 'list'])).find(
      (i: SandboxItemJson) => i.id === id,
    ) as SandboxItemJson;
    expect(item).toMatchObject({ contactIds: [contact], companyIds: [company] });
  });
});
