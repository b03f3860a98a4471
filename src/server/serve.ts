import type { Config } from './config';
import { openDatabase } from './store/database';
import { migrateToLatest } from './store/migrations';
import { buildApp } from './http/app';

/** `crm-sync serve`: migrates, then serves until SIGINT/SIGTERM, closing cleanly. */
export async function serve(config: Config): Promise<void> {
  const db = openDatabase(config.DATABASE_URL);
  await migrateToLatest(db);
  const app = await buildApp({ config, db });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  process.stdout.write(`CRM Calendar Connector listening on ${address} (pane: ${address}/taskpane.html)\n`);
  const stop = async () => {
    await app.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
