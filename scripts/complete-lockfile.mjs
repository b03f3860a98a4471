// Records, in package-lock.json, the optional platform packages (other OSes' and CPUs' native builds of swc,
// jest's resolver, …) that the package registry this project is built against does not carry. Without an entry,
// `npm ci` refuses the lock as "out of sync"; with an optional entry, npm treats a package it cannot fetch for
// this platform as a skipped optional dependency. Run after any `npm install` that changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;

function resolves(fromPath, name) {
  // Node's resolution: walk up from the dependent's folder looking for node_modules/<name>.
  let dir = fromPath;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

for (const [path, meta] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    if (resolves(path, name)) continue;
    const version = String(spec).replace(/^[\^~=]/, '');
    const target = packages[`node_modules/${name}`] ? `${path}/node_modules/${name}` : `node_modules/${name}`;
    packages[target] = { version, ...(meta.dev ? { dev: true } : {}), optional: true };
    added++;
  }
}

const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: ${added} optional platform package(s) recorded`);
