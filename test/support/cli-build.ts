/**
 * The built command line (dist/cli/crm-sync.js, what bin/crm-sync.js runs): CI builds it before the tests; a local run
 * builds it (`npm run build:server`) when it is missing or older than any of its sources, as the pane's e2e suite does
 * with dist/addin (an old bundle would otherwise pass or fail for code that is no longer there).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { newestMtime } from './newest-mtime';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const cliBin = path.join(repoRoot, 'bin', 'crm-sync.js');
/** The bundle the bin runs. */
export const cliBundle = path.join(repoRoot, 'dist', 'cli', 'crm-sync.js');

/** What the bundle is built from: the server's tsc inputs, the bundle's config, the dependency list. */
const cliSources = [
  'src/server',
  'src/sync',
  'src/providers',
  'src/shared',
  'tsconfig.json',
  'tsconfig.server.json',
  'webpack.cli.config.js',
  'package.json',
];

export function ensureCliBuilt(): string {
  const built = fs.statSync(cliBundle, { throwIfNoEntry: false });
  const stale = !built || cliSources.some((s) => newestMtime(path.join(repoRoot, s)) > built.mtimeMs);
  if (stale) execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: repoRoot, stdio: 'ignore' });
  return cliBin;
}
