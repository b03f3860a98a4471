/**
 * The built pane (dist/addin): CI builds it before the tests; a local run builds it when it is missing or older than
 * any pane source (an old build would otherwise pass or fail the e2e suite for code that is no longer there).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { newestMtime } from '../../support/newest-mtime';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const addinDir = path.join(repoRoot, 'dist', 'addin');

/** What the pane bundle is built from (webpack.config.js entries reach only these). */
const paneSources = ['src/addin', 'src/shared', 'assets', 'webpack.config.js', 'manifest.xml'];

export function ensurePaneBuilt(): string {
  // A stamp written after each build: webpack leaves unchanged outputs untouched, so their mtimes say nothing.
  const stamp = path.join(addinDir, '.built');
  // Without a stamp (a build by `npm run build`), the page itself: a fresh build has just written it.
  const page = fs.statSync(path.join(addinDir, 'taskpane.html'), { throwIfNoEntry: false });
  const built = page ? (fs.statSync(stamp, { throwIfNoEntry: false }) ?? page) : undefined;
  const stale = !built || paneSources.some((s) => newestMtime(path.join(repoRoot, s)) > built.mtimeMs);
  if (stale) {
    execFileSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--mode', 'production'], {
      cwd: repoRoot,
      stdio: 'ignore',
    });
    fs.writeFileSync(stamp, '');
  }
  return addinDir;
}
