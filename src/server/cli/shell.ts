import type { Command } from 'commander';
import type { Config } from '../config';
import type { ProviderRegistry } from '../connections/connection-service';
import type { Runtime } from '../runtime';

/**
 * What every command group gets from the program: the global options, the way to print its answer, and the
 * runtime opened on demand. The runtime (store, providers, engine) is imported only when a command runs, so
 * `--help` or `migrate` does not load the engine and `sync` does not load the HTTP server.
 */
export interface CliShell {
  program: Command;
  /** `--tenant`, when given. */
  tenant(): string | undefined;
  /** Prints the command's answer: human text, or JSON with `--json`. */
  out(human: string, json: unknown): void;
  withRuntime<T>(fn: (rt: Runtime) => Promise<T>, config?: Config): Promise<T>;
  loadConfig(): Promise<Config>;
}

/** Commander's collector for a repeatable option. */
export const collect = (v: string, prev: string[]) => [...prev, v];

export function createShell(program: Command, registry?: ProviderRegistry): CliShell {
  const loadConfig = async () => (await import('../config.js')).loadConfig();
  return {
    program,
    tenant: () => program.opts<{ tenant?: string }>().tenant,
    out: (human, json) => print(program, human, json),
    loadConfig,
    async withRuntime(fn, config) {
      const { withRuntime } = await import('./context.js');
      return withRuntime(fn, config ?? (await loadConfig()), registry);
    },
  };
}

export function print(program: Command, human: string, json: unknown): void {
  process.stdout.write(program.opts<{ json?: boolean }>().json ? `${JSON.stringify(json, null, 2)}\n` : `${human}\n`);
}
