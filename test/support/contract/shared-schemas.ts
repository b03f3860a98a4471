/**
 * Where the vendors' machine-readable descriptions live (../shared/schemas beside the repository, read-only). A
 * contract test runs whenever they are there and says plainly that it was skipped when they are not.
 */
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../..');

/**
 * `../shared` beside the checkout; from a git worktree (its `.git` is a file naming the main repository's git
 * directory), beside the main checkout.
 */
function sharedDir(): string {
  const beside = path.resolve(repoRoot, '../shared');
  if (fs.existsSync(beside)) return beside;
  try {
    const gitFile = fs.readFileSync(path.join(repoRoot, '.git'), 'utf8');
    const gitDir = /^gitdir: (.+)$/m.exec(gitFile)?.[1]?.trim();
    const main = gitDir ? path.resolve(gitDir, '../../..') : null;
    if (main && fs.existsSync(path.resolve(main, '../shared'))) return path.resolve(main, '../shared');
  } catch {
    // not a worktree
  }
  return beside;
}

export const sharedSchemasDir = path.join(sharedDir(), 'schemas');

export function sharedSchemaPath(...parts: string[]): string {
  return path.join(sharedSchemasDir, ...parts);
}

export function readSharedJson<T>(...parts: string[]): T | null {
  const p = sharedSchemaPath(...parts);
  return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as T) : null;
}

/** A violation list formatted for a failing expectation: one line per finding, with the exchange it came from. */
export function report(findings: { where: string; problem: string }[]): string[] {
  return findings.map((f) => `${f.where}: ${f.problem}`);
}
