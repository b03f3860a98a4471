/**
 * What the manifest schema cannot see (the XSD check is `npm run validate:manifest`): every resource id used
 * resolves, every surface opens the same task pane, pinning only where Outlook supports it, and a production
 * build writes https URLs only, from PUBLIC_URL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { XMLParser } from 'fast-xml-parser';

const root = path.resolve(__dirname, '..', '..');
const source = fs.readFileSync(path.join(root, 'manifest.xml'), 'utf8');

type Node = Record<string, unknown>;
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  isArray: (_n: string, _j: unknown, _l: boolean, isAttribute: boolean) => !isAttribute,
});

/** Every element with the given local name, anywhere in the tree. */
function findAll(node: unknown, name: string, out: Node[] = []): Node[] {
  if (Array.isArray(node)) node.forEach((n) => findAll(n, name, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Node)) {
      if (k === name) (Array.isArray(v) ? v : [v]).forEach((x) => out.push(x as Node));
      findAll(v, name, out);
    }
  }
  return out;
}

function allUrls(xml: string): string[] {
  return [...xml.matchAll(/"(https?:\/\/[^"]+)"/g)]
    .map((m) => m[1]!)
    .filter((u) => !u.startsWith('http://schemas.microsoft.com') && !u.startsWith('http://www.w3.org'));
}

describe('manifest.xml', () => {
  const doc = parser.parse(source) as Node;

  it('resolves every resid to a declared resource', () => {
    const declared = new Set(
      [...findAll(doc, 'Image'), ...findAll(doc, 'Url'), ...findAll(doc, 'String')]
        .map((n) => n['@id'])
        .filter((id): id is string => typeof id === 'string'),
    );
    const used = new Set<string>();
    for (const m of source.matchAll(/resid="([^"]+)"/g)) used.add(m[1]!);
    expect(used.size).toBeGreaterThan(0);
    for (const id of used) expect(declared).toContain(id);
  });

  it('opens the same task pane URL on all four surfaces', () => {
    const points = findAll(doc, 'ExtensionPoint').map((p) => p['@type']);
    expect(points.sort()).toEqual(
      [
        'AppointmentAttendeeCommandSurface',
        'AppointmentOrganizerCommandSurface',
        'MessageComposeCommandSurface',
        'MessageReadCommandSurface',
      ].sort(),
    );
    const taskpaneIds = new Set(
      findAll(doc, 'SourceLocation')
        .map((s) => s['@resid'])
        .filter(Boolean),
    );
    expect([...taskpaneIds]).toEqual(['Taskpane.Url']);
    const formUrls = new Set(
      findAll(doc, 'SourceLocation')
        .map((s) => s['@DefaultValue'])
        .filter(Boolean),
    );
    const paneUrl = findAll(doc, 'Url').find((u) => u['@id'] === 'Taskpane.Url')?.['@DefaultValue'];
    expect([...formUrls]).toEqual([paneUrl]);
  });

  it('pins only on the message surfaces', () => {
    for (const point of findAll(doc, 'ExtensionPoint')) {
      const pinning = findAll(point, 'SupportsPinning');
      const isMessage = String(point['@type']).startsWith('Message');
      expect({ point: point['@type'], pinned: pinning.length > 0 }).toEqual({
        point: point['@type'],
        pinned: isMessage,
      });
    }
  });

  it('declares icons of 16, 32, 64, 80 and 128 px that exist in assets/', () => {
    const urls = allUrls(source).filter((u) => u.includes('/assets/'));
    const sizes = new Set(urls.map((u) => Number(/icon-(\d+)\.png$/.exec(u)?.[1])));
    expect([...sizes].sort((a, b) => a - b)).toEqual([16, 32, 64, 80, 128]);
    for (const u of urls) expect(fs.existsSync(path.join(root, new URL(u).pathname))).toBe(true);
  });

  it('uses https everywhere in the source manifest', () => {
    for (const u of allUrls(source)) expect(u).toMatch(/^https:\/\//);
  });
});

describe('production manifest build', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-build-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  function buildWith(publicUrl: string): { status: number; xml: string | null; stderr: string } {
    try {
      execFileSync(
        process.execPath,
        [path.join(root, 'node_modules/webpack/bin/webpack.js'), '--mode', 'production', '--output-path', out],
        { cwd: root, env: { ...process.env, PUBLIC_URL: publicUrl }, stdio: 'pipe' },
      );
      return { status: 0, xml: fs.readFileSync(path.join(out, 'manifest.xml'), 'utf8'), stderr: '' };
    } catch (e) {
      const err = e as { status: number; stderr: Buffer };
      return { status: err.status, xml: null, stderr: err.stderr.toString() };
    }
  }

  it('swaps the development origin for PUBLIC_URL', () => {
    const { status, xml } = buildWith('https://connector.example.com');
    expect(status).toBe(0);
    const urls = allUrls(xml!);
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls.filter((x) => !x.startsWith('https://login.microsoftonline.com'))) {
      expect(u.startsWith('https://connector.example.com/')).toBe(true);
    }
  }, 120_000);

  it('refuses a non-https PUBLIC_URL', () => {
    const { status, stderr } = buildWith('http://connector.example.com');
    expect(status).not.toBe(0);
    expect(stderr).toContain('PUBLIC_URL must be an https origin');
  }, 120_000);
});
