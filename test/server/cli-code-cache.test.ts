/**
 * The bin's code cache (bin/run-bundle.js, issue 23): the bundle runs as `require()` would run it, its compiled
 * functions are kept after a command and used by the next, one build never runs another's cache, and a cache that
 * is not this user's own is not run. Each case runs a small bundle in a fresh Node process, as the bin does.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const runBundle = path.resolve(__dirname, '..', '..', 'bin', 'run-bundle.js');
const { commandOf } = createRequire(__filename)(runBundle) as { commandOf: (args: string[]) => string };

let dir: string;
let cacheDir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'code-cache-'));
  cacheDir = path.join(dir, 'cache');
  fs.mkdirSync(cacheDir);
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A bundle that names what it was given and does enough work for V8 to compile a few functions. */
function writeBundle(build: string | null, extra = '', wrapped = false): string {
  const file = path.join(dir, 'dist', 'bundle.js');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.mkdirSync(path.join(dir, 'node_modules', 'helper'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules', 'helper', 'index.js'), 'module.exports = "from node_modules";');
  const body = `'use strict';
function square(n) { return n * n; }
function total(list) { return list.map(square).reduce((a, b) => a + b, 0); }
module.exports.seen = {
  thisIsExports: this === module.exports,
  filename: __filename,
  dirname: __dirname,
  helper: require('helper'),
  total: total([1, 2, 3]),
};
process.stdout.write(JSON.stringify(module.exports.seen) + '\\n');
${extra}`;
  // As webpack.cli.config.js writes the real one: Node's module wrapper opened on the build line, closed at the end.
  const head = build ? `/*! crm-sync build ${build} */` : '';
  fs.writeFileSync(
    file,
    wrapped
      ? `${head}(function (exports, require, module, __filename, __dirname) {\n${body}\n})`
      : `${head}${build ? '\n' : ''}${body}`,
  );
  return file;
}

interface Ran {
  code: number;
  seen: { thisIsExports: boolean; filename: string; dirname: string; helper: string; total: number } | null;
  cache: string;
}

/** Runs the bundle in a new process as bin/crm-sync.js does; the last stdout line says what the cache did. */
/** `cache`: the folder, or null for none (as when Node's compile cache is off); `command` the cache's command. */
function run(entry: string, cache: string | null = cacheDir, command?: string): Ran {
  const script = `const r = require(${JSON.stringify(runBundle)}).runBundle(${JSON.stringify(entry)}, ${
    cache === null ? 'undefined' : JSON.stringify(cache)
  }${command ? `, ${JSON.stringify(command)}` : ''}); process.stdout.write('cache=' + r + '\\n');`;
  try {
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const lines = out.trim().split('\n');
    return { code: 0, seen: JSON.parse(lines[0] ?? 'null') as Ran['seen'], cache: lines.at(-1) ?? '' };
  } catch (err) {
    return { code: (err as { status: number }).status, seen: null, cache: '' };
  }
}

/** What the test bundle prints when it ran as require() runs a module at `entry`. */
const asRequired = (entry: string): Ran['seen'] => ({
  thisIsExports: true,
  filename: entry,
  dirname: path.dirname(entry),
  helper: 'from node_modules',
  total: 14,
});

const cacheFiles = () => fs.readdirSync(cacheDir).filter((f) => f.endsWith('.v8'));

it('runs the bundle as require() would: its exports, __filename, __dirname, packages from node_modules', () => {
  const entry = writeBundle('0123456789abcdef0123456789abcdef');
  const first = run(entry);
  expect(first.code).toBe(0);
  expect(first.seen).toEqual(asRequired(entry));
});

it('a bundle that carries the module wrapper itself runs the same, with its cache made and used', () => {
  const entry = writeBundle('0123456789abcdef0123456789abcdef', '', true);
  const first = run(entry);
  expect(first).toMatchObject({ code: 0, cache: 'cache=made' });
  // Wrapped a second time, it would only define a function and print nothing.
  expect(first.seen).toEqual(asRequired(entry));
  const second = run(entry);
  expect(second).toMatchObject({ code: 0, cache: 'cache=used' });
  expect(second.seen).toEqual(first.seen);
});

it('makes the cache at exit, then the next command uses it', () => {
  const entry = writeBundle('0123456789abcdef0123456789abcdef');
  expect(run(entry).cache).toBe('cache=made');
  expect(cacheFiles()).toEqual(['crm-sync-0123456789abcdef0123456789abcdef-none.v8']);
  const file = path.join(cacheDir, 'crm-sync-0123456789abcdef0123456789abcdef-none.v8');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const second = run(entry);
  expect(second).toMatchObject({ code: 0, cache: 'cache=used' });
  expect(second.seen?.total).toBe(14);
});

it('one build never runs the cache of another, even one of the same length', () => {
  const entry = writeBundle('0123456789abcdef0123456789abcdef');
  run(entry);
  // Another build of the same length: V8 checks only the length, so the build's name is what keeps them apart.
  const other = writeBundle('fedcba9876543210fedcba9876543210', '');
  fs.writeFileSync(other, fs.readFileSync(other, 'utf8').replace('n * n', 'n + n'));
  const ran = run(other);
  expect(ran).toMatchObject({ code: 0, cache: 'cache=made' });
  expect(ran.seen?.total).toBe(12);
  expect(cacheFiles().sort()).toEqual([
    'crm-sync-0123456789abcdef0123456789abcdef-none.v8',
    'crm-sync-fedcba9876543210fedcba9876543210-none.v8',
  ]);
});

it('a bundle without its build line, or no cache folder, runs without a cache', () => {
  expect(run(writeBundle(null))).toMatchObject({ code: 0, cache: 'cache=off' });
  expect(run(writeBundle('0123456789abcdef0123456789abcdef'), null)).toMatchObject({ code: 0, cache: 'cache=off' });
  expect(cacheFiles()).toEqual([]);
});

it('each command has its own cache: one made by another command is not the one used', () => {
  const entry = writeBundle('0123456789abcdef0123456789abcdef');
  expect(run(entry, cacheDir, 'migrate').cache).toBe('cache=made');
  expect(run(entry, cacheDir, 'sync').cache).toBe('cache=made');
  expect(run(entry, cacheDir, 'sync').cache).toBe('cache=used');
  expect(cacheFiles().sort()).toEqual([
    'crm-sync-0123456789abcdef0123456789abcdef-migrate.v8',
    'crm-sync-0123456789abcdef0123456789abcdef-sync.v8',
  ]);
});

it('the command is the first argument that is not an option, if it is a plain word', () => {
  expect(commandOf(['sync', 'ann@example.com', '--json'])).toBe('sync');
  expect(commandOf(['--json', 'sandbox', 'ann@example.com', 'add'])).toBe('sandbox');
  expect(commandOf(['--version'])).toBe('none');
  expect(commandOf([])).toBe('none');
  expect(commandOf(['../../etc/passwd'])).toBe('other');
  expect(commandOf(['SYNC'])).toBe('other');
});

it('a damaged cache is refused by V8 and made again; the command still runs', () => {
  const entry = writeBundle('0123456789abcdef0123456789abcdef');
  run(entry);
  const file = path.join(cacheDir, cacheFiles()[0] ?? '');
  fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size, 7), { mode: 0o600 });
  const ran = run(entry);
  expect(ran).toMatchObject({ code: 0, cache: 'cache=made' });
  expect(ran.seen?.total).toBe(14);
  expect(run(entry).cache).toBe('cache=used');
});

const posixOwner = typeof process.getuid === 'function' ? it : it.skip;

posixOwner('a cache others may write is not run', () => {
  const entry = writeBundle('0123456789abcdef0123456789abcdef');
  run(entry);
  const file = path.join(cacheDir, cacheFiles()[0] ?? '');
  fs.chmodSync(file, 0o666);
  expect(run(entry).cache).toBe('cache=made');
  // Made again in its place, this user's own.
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(run(entry).cache).toBe('cache=used');
});

it('an exit code set by the bundle is the process exit code', () => {
  const entry = writeBundle('0123456789abcdef0123456789abcdef', 'process.exitCode = 3;');
  expect(run(entry).code).toBe(3);
});
