import { sql } from 'kysely';
import { calendarConnectors, crmConnectors } from '../../providers/registry';
import { isProductionDeployment, type Config } from '../config';
import { openDatabase } from '../store/database';
import { loadKeyring } from '../vault/keyring';
import { Vault } from '../vault/vault';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** `crm-sync doctor`: what would stop the connector from working, each with a reason. */
export async function runDoctor(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  let vault: Vault | null = null;
  try {
    const keyring = loadKeyring(config);
    vault = new Vault(keyring);
    add(
      'vault key',
      true,
      `current key ${keyring.current.id} from ${keyring.source}${keyring.file ? ` (${keyring.file})` : ''}`,
    );
  } catch (e) {
    add('vault key', false, e instanceof Error ? e.message : String(e));
  }
  const db = openDatabase(config.DATABASE_URL, { preparedStatements: config.DATABASE_PREPARED_STATEMENTS === 'on' });
  try {
    await sql`select 1`.execute(db.kysely);
    add('database', true, `${db.dialect} reachable`);
    const tables = await db.kysely.introspection.getTables();
    const migrated = tables.some((t) => t.name === 'connections');
    // A new, empty database is the default set-up, not a fault: the server creates the schema when it starts.
    const empty = tables.length === 0;
    add(
      'migrations',
      migrated || empty,
      migrated
        ? 'schema present'
        : empty
          ? 'empty database: the schema is created when the server starts (or run crm-sync migrate)'
          : 'run crm-sync migrate',
    );
    if (migrated && vault) {
      const rows = await db.kysely
        .selectFrom('connections')
        .select(['tenant_id', 'user_id', 'side', 'secret'])
        .execute();
      const bad = rows.filter((r) => {
        try {
          vault!.decrypt(r.secret, `connection:${r.tenant_id}:${r.user_id}:${r.side}`);
          return false;
        } catch {
          return true;
        }
      });
      add(
        'stored credentials',
        bad.length === 0,
        bad.length ? `${bad.length} of ${rows.length} do not open with the configured keys` : `${rows.length} open`,
      );
    }
  } catch (e) {
    add('database', false, e instanceof Error ? e.message : String(e));
  } finally {
    await db.close();
  }
  // `npm start` without an Entra app and without AUTH_MODE turns on the development sign-in (scripts/start.mjs).
  const startDefaultsToDev = !env.AUTH_MODE && !config.ENTRA_CLIENT_ID && config.NODE_ENV !== 'production';
  if (startDefaultsToDev) {
    add('identity', true, 'no Entra app configured: npm start uses the development sign-in (AUTH_MODE=dev)');
  } else if (config.AUTH_MODE === 'entra') {
    add(
      'identity',
      !!config.ENTRA_CLIENT_ID,
      config.ENTRA_CLIENT_ID ? `Entra app ${config.ENTRA_CLIENT_ID}` : 'set ENTRA_CLIENT_ID',
    );
  } else add('identity', config.NODE_ENV !== 'production', 'AUTH_MODE=dev (development sign-in)');
  const httpsOk = !config.PUBLIC_URL || config.PUBLIC_URL.startsWith('https://') || config.NODE_ENV !== 'production';
  add('public URL', httpsOk, config.PUBLIC_URL ?? 'not set (OAuth callbacks use the listen address)');
  // Not a fault: metrics are optional. But a production deployment serves them only with a token.
  add(
    'metrics',
    true,
    config.METRICS_TOKEN
      ? 'GET /metrics with Authorization: Bearer <METRICS_TOKEN>'
      : isProductionDeployment(config)
        ? 'GET /metrics is off: set METRICS_TOKEN to scrape it'
        : 'GET /metrics is open (embedded default; set METRICS_TOKEN to require a token)',
  );
  add(
    'providers',
    true,
    `calendar: ${calendarConnectors.map((c) => c.descriptor.id).join(', ') || 'none'}; CRM: ${crmConnectors.map((c) => c.descriptor.id).join(', ') || 'none'}`,
  );
  return checks;
}
