import { loadConfig, type Config } from '../config';
import { createRuntime, type Runtime } from '../runtime';
import { createLazyLogger } from '../log';
import { openDatabase } from '../store/database';
import { migrateToLatest } from '../store/migrations';
import type { ProviderRegistry } from '../connections/connection-service';

/** Opens the store named by DATABASE_URL (migrated) and the runtime, runs `fn`, and closes everything. */
export async function withRuntime<T>(
  fn: (rt: Runtime) => Promise<T>,
  config: Config = loadConfig(),
  registry?: ProviderRegistry,
): Promise<T> {
  const db = openDatabase(config.DATABASE_URL, { preparedStatements: config.DATABASE_PREPARED_STATEMENTS === 'on' });
  try {
    await migrateToLatest(db);
    // The CLI validates no tokens; dev mode avoids requiring the Entra settings for scripting.
    const runtime = await createRuntime(config, db, {
      providers: 'on-demand',
      ...(registry ? { registry } : {}),
      // Log lines go to stderr: stdout is the command's answer (`--json` prints only JSON there). Made at the first
      // line, with the server's redaction (it had none before).
      logger: createLazyLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, 2),
      verifier: { verify: () => Promise.reject(new Error('the CLI does not accept tokens')) },
    });
    try {
      return await fn(runtime);
    } finally {
      await runtime.stop();
    }
  } finally {
    await db.close();
  }
}
