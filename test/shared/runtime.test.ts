/**
 * The project runs on Node 24 LTS (.nvmrc, `engines`). On machines whose system Node is older, .ci/run puts the
 * registry build first on PATH (scripts/ensure-node.sh); these checks fail when a test process, or a tool a test starts
 * through PATH (`#!/usr/bin/env node` scripts such as depcruise), runs on another Node.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const wantedMajor = Number(fs.readFileSync(path.join(root, '.nvmrc'), 'utf8').trim().replace(/^v/, '').split('.')[0]);
const major = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);

describe('runtime', () => {
  it('.nvmrc and package.json engines name the same Node major, 24 LTS', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(wantedMajor).toBe(24);
    expect(pkg.engines.node).toBe(`>=${wantedMajor}`);
  });

  it('runs this test process on that Node', () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(wantedMajor);
  });

  it('runs the `node` on PATH, which tools the tests start use, on the same Node', () => {
    const r = spawnSync('node', ['--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(process.version);
  });

  it('scripts/ensure-node.sh changes nothing where that Node is already on PATH', () => {
    const script = path.join(root, 'scripts', 'ensure-node.sh');
    const run = spawnSync('bash', [script, 'node', '--version'], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe(process.version);
    // Without a command it prints the exports for `eval`: none here.
    const printed = spawnSync('bash', [script], { encoding: 'utf8' });
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe('');
    const sourced = spawnSync('bash', ['-c', `source '${script}' && printf %s "$PATH"`], { encoding: 'utf8' });
    expect(sourced.stdout).toBe(process.env.PATH);
  });
});
