/** The built pane (dist/addin): CI builds it before the tests; a local run without it builds it once. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const addinDir = path.join(repoRoot, 'dist', 'addin');

export function ensurePaneBuilt(): string {
  if (!fs.existsSync(path.join(addinDir, 'taskpane.html'))) {
    execFileSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--mode', 'production'], {
      cwd: repoRoot,
      stdio: 'ignore',
    });
  }
  return addinDir;
}
