/**
 * The real `crm-sync` as a separate process, for what an in-process test cannot see: bytes the process writes to
 * its own stdout/stderr file descriptors (pino writes to fd 2 directly, past any spy on process.stdout) and what it
 * reads from its working directory (.env). The server sources (src/server, sync, providers, shared) are
 * transpiled once per test file with SWC, as Jest transpiles them, into dist/cli-test-<pid>/ (inside the repository,
 * so node_modules resolve), and `node dist/cli-test-<pid>/server/main.js` is what bin/crm-sync.js runs after
 * `npm run build`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { transformFileSync } from '@swc/core';

const repoRoot = path.resolve(__dirname, '..', '..');
const sourceDirs = ['server', 'sync', 'providers', 'shared'];

export interface SpawnedCli {
  /** Runs `crm-sync <args>` in `cwd` with exactly `env` (plus PATH); resolves when the process exits. */
  run(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Starts a long-running command (`serve`); `stop()` ends it by its pid. */
  start(args: string[], opts: { cwd: string; env?: Record<string, string> }): RunningCli;
  remove(): void;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  output(): { stdout: string; stderr: string };
  stop(): Promise<void>;
}

function transpileTree(from: string, to: string): void {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    if (entry.isDirectory()) {
      transpileTree(src, path.join(to, entry.name));
    } else if (entry.name.endsWith('.ts')) {
      const out = transformFileSync(src, {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      fs.mkdirSync(to, { recursive: true });
      fs.writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), out.code);
    }
  }
}

export function buildSpawnedCli(): SpawnedCli {
  const outDir = path.join(repoRoot, 'dist', `cli-test-${process.pid}`);
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const d of sourceDirs) transpileTree(path.join(repoRoot, 'src', d), path.join(outDir, d));
  const main = path.join(outDir, 'server', 'main.js');
  const childEnv = (env: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', ...env });

  return {
    run(args, opts) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [main, ...args], { cwd: opts.cwd, env: childEnv(opts.env) });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    },
    start(args, opts) {
      const child = spawn(process.execPath, [main, ...args], { cwd: opts.cwd, env: childEnv(opts.env) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<void>((r) => child.on('close', () => r()));
      return {
        output: () => ({ stdout, stderr }),
        async stop() {
          if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
          await exited;
        },
      };
    },
    remove: () => fs.rmSync(outDir, { recursive: true, force: true }),
  };
}
