'use strict';
/**
 * Runs the bundled command line (dist/cli/crm-sync.js) with a V8 code cache of its own (issue 23).
 *
 * Why: Node's compile cache keeps a module's code as compiled when it is loaded, which for one 2 MB bundle is its
 * top level only (about 130 KB); every function a command runs is compiled again by every command. A code cache
 * made when the process exits (`createCachedData()` after the run) holds them all, so the next command deserialises
 * them instead: about 20–40 ms of a steady no-op `crm-sync sync` (docs/BENCHMARKS.md "CLI start").
 *
 * Where: Node's compile-cache folder (`module.getCompileCacheDir()`, so NODE_COMPILE_CACHE moves it and
 * NODE_DISABLE_COMPILE_CACHE turns it off), one file per build and command: `crm-sync-<build>-<command>.v8`, the
 * build being the hash the bundle's first line carries (webpack.cli.config.js writes it). V8 itself checks only the
 * source's length, its own version and flags, so the build's hash is what keeps one build from running another's
 * code; a bundle without that line gets no cache. Per command, because a cache holds what the command that made it
 * ran: one made by `migrate` (the first command after an install, often) left a steady `sync` compiling half of
 * what it runs (359 against 336 ms at 1,000 events).
 *
 * Trust: V8 runs what the cache holds, so a cache is used only if it belongs to this user and nobody else may write
 * it (the folder may be the shared temporary folder); it is written to a temporary name and renamed, mode 0600. A
 * cache V8 rejects (another Node, other flags, a damaged file) is made again at exit.
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { isAscii } = require('node:buffer');

const BUILD_LINE = /^\/\*! crm-sync build ([0-9a-f]{16,64}) \*\//;
/**
 * A bundle that carries Node's module wrapper itself, right after its build line and closed on its own last line
 * (webpack.cli.config.js writes it so), is compiled as read. Any other is wrapped here as require() would, which
 * hands V8 a joined string that it copies whole once more before compiling: 2.2 MB of fresh memory, some 540 page
 * faults, 6–8 ms of a steady no-op on the bench machine, whose first touch of a page is dear.
 */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAPPER_TAIL = '\n})';

/** The cache's bytes, or undefined when there is none or it is not safe to run. */
function readCache(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const stat = fs.fstatSync(fd);
    const ownUid = typeof process.getuid === 'function' ? process.getuid() : null;
    if (!stat.isFile() || (ownUid !== null && (stat.uid !== ownUid || (stat.mode & 0o022) !== 0))) return undefined;
    return fs.readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Best effort: a folder nobody may write to only costs the next command its compile time. */
function writeCache(file, data) {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, data, { mode: 0o600 });
    fs.renameSync(temporary, file);
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}

/** The command a cache is kept for: the first argument that is not an option, if it is a plain word. */
function commandOf(args) {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined) return 'none';
  return /^[a-z][a-z-]{0,31}$/.test(first) ? first : 'other';
}

/**
 * Runs `entry` (a CommonJS file) as `require(entry)` would, compiled with the cache from `cacheDir` (none when
 * undefined) kept for `command`. Returns what happened to the cache: `used`, `made` (none or rejected: written at
 * exit) or `off`.
 */
function runBundle(entry, cacheDir, command = 'none') {
  const bytes = fs.readFileSync(entry);
  // The bundle is ASCII (SWC's asciiOnly): read into a one-byte string without UTF-8 decoding.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const buildLine = BUILD_LINE.exec(source);
  const build = buildLine?.[1];
  const wrapped =
    buildLine !== null && source.startsWith(WRAPPER_HEAD, buildLine[0].length) && source.endsWith(WRAPPER_TAIL);
  const cacheFile = build && cacheDir ? path.join(cacheDir, `crm-sync-${build}-${command}.v8`) : null;
  const cachedData = cacheFile ? readCache(cacheFile) : undefined;
  const script = new vm.Script(wrapped ? source : Module.wrap(source), {
    filename: entry,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  let cache = 'off';
  if (cacheFile) {
    cache = cachedData && !script.cachedDataRejected ? 'used' : 'made';
    // At exit the cache holds every function the command compiled, not only the file's top level.
    if (cache === 'made') process.once('exit', () => writeCache(cacheFile, script.createCachedData()));
  }
  const dir = path.dirname(entry);
  const bundle = new Module(entry, module);
  bundle.filename = entry;
  bundle.paths = Module._nodeModulePaths(dir);
  script.runInThisContext().call(bundle.exports, bundle.exports, Module.createRequire(entry), bundle, entry, dir);
  bundle.loaded = true;
  return cache;
}

// WRAPPER_HEAD and WRAPPER_TAIL for webpack.cli.config.js, which writes them: one text for both sides.
module.exports = { runBundle, commandOf, WRAPPER_HEAD, WRAPPER_TAIL };
