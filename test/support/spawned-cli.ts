/**
 * The real `crm-sync` as a separate process, for what an in-process test cannot see: bytes the process writes to
 * its own stdout/stderr file descriptors (pino writes to fd 2 directly, past any spy on process.stdout) and what it
 * reads from its working directory (.env). It is `node src/server/main.ts` (what bin/crm-sync.js runs once built),
 * its TypeScript stripped by SWC through test/support/swc-register.cjs, as Jest does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const register = path.join(__dirname, 'swc-register.cjs');
const main = path.join(repoRoot, 'src', 'server', 'main.ts');

export interface SpawnedCli {
  /** Runs `crm-sync <args>` in `cwd` with exactly `env` (plus PATH); resolves when the process exits. */
  run(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Starts a long-running command (`serve`); `stop()` ends it by its pid. */
  start(args: string[], opts: { cwd: string; env?: Record<string, string> }): RunningCli;
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

/**
 * `command`: what node runs before the arguments; by default the sources through SWC, or an installed bin (the
 * bundle's test passes bin/crm-sync.js).
 */
export function buildSpawnedCli(command: string[] = ['--no-warnings', '-r', register, main]): SpawnedCli {
  const childEnv = (env: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', ...env });

  return {
    run(args, opts) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...command, ...args], {
          cwd: opts.cwd,
          env: childEnv(opts.env),
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    },
    start(args, opts) {
      const child = spawn(process.execPath, [...command, ...args], {
        cwd: opts.cwd,
        env: childEnv(opts.env),
      });
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
  };
}

/** The `.env` README describes, in `dir`: SQLite there, dev sign-in, debug logs, the test's Radicale allowed. */
export function writeDevEnv(dir: string, radicaleHostPort: string, comment?: string): void {
  fs.writeFileSync(
    path.join(dir, '.env'),
    [
      ...(comment ? [`# ${comment}`] : []),
      `DATABASE_URL=sqlite:${path.join(dir, 'connector.db')}`,
      `DATA_DIR=${dir}`,
      'AUTH_MODE=dev',
      'LOG_LEVEL=debug',
      `ALLOWED_PRIVATE_HOSTS=${radicaleHostPort}`,
      '',
    ].join('\n'),
  );
}
