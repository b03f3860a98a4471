/**
 * The CLI bundle loads some of Node's modules at first use (scripts/bundle-lazy, webpack.cli.config.js): the shim
 * loads nothing until a property is read, then is the module; the loader that points a package's request at a shim
 * fails the build when the package no longer writes that request; and every shim still applies to the packages
 * installed. The bundle's own test (cli-bundle.test.ts) checks that a steady sync loads none of them.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// The shims and the webpack configuration are CommonJS files of the build, not TypeScript sources.
const load = createRequire(__filename);
const root = path.resolve(__dirname, '..', '..');
const { lazy } = load(path.join(root, 'scripts', 'bundle-lazy', 'lazy.cjs')) as {
  lazy: <T extends object>(load: () => T) => T;
};
const pointAtShim = load(path.join(root, 'scripts', 'bundle-lazy', 'loader.cjs')) as (
  this: { getOptions: () => { from: string; to: string }; resourcePath: string },
  source: string,
) => string;
const { lazyRequires } = load(path.join(root, 'webpack.cli.config.js')) as {
  lazyRequires: { file: string; from: string; shim: string }[];
};

it('a lazy module is loaded at the first property read, once, and webpack asking __esModule does not load it', () => {
  const load = jest.fn(() => ({ gunzip: () => 'real', constants: { Z_SYNC_FLUSH: 2 } }));
  const zlib = lazy(load);
  expect((zlib as { __esModule?: unknown }).__esModule).toBeUndefined();
  expect(load).not.toHaveBeenCalled();
  expect(zlib.constants.Z_SYNC_FLUSH).toBe(2);
  expect(zlib.gunzip()).toBe('real');
  expect('gunzip' in zlib).toBe(true);
  expect(load).toHaveBeenCalledTimes(1);
});

it('the loader points the request at the shim, and fails when the package no longer writes it', () => {
  const ctx = (from: string) => ({ getOptions: () => ({ from, to: '/x/zlib.cjs' }), resourcePath: '/pkg/fetch.js' });
  expect(pointAtShim.call(ctx("'node:zlib'"), "const zlib = require('node:zlib')")).toBe(
    'const zlib = require("/x/zlib.cjs")',
  );
  expect(() => pointAtShim.call(ctx("'node:zlib'"), "const zlib = require('zlib')")).toThrow(
    "/pkg/fetch.js: 'node:zlib' not found",
  );
});

it.each(lazyRequires)('$file still requires $from, and its shim exists', ({ file, from, shim }) => {
  expect(fs.readFileSync(path.join(root, 'node_modules', file), 'utf8')).toContain(from);
  expect(fs.existsSync(path.join(root, 'scripts', 'bundle-lazy', shim))).toBe(true);
});
