import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type pg from 'pg';
import type { DatabaseSchema } from './schema';
import { namePreparedStatements } from './prepared-statements';

export type Dialect = 'sqlite' | 'postgres';

/** The PostgreSQL pool's counts, for /metrics (SQLite has no pool). */
export interface PoolState {
  total: number;
  idle: number;
  waiting: number;
  /** Connection errors the pool and its clients reported since the process started (restart, failover). */
  errors: number;
}

export interface Db {
  kysely: Kysely<DatabaseSchema>;
  dialect: Dialect;
  /** The connection pool's state (PostgreSQL only). */
  poolState?(): PoolState;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Told about a connection the server dropped (restart, failover, admin shutdown); nothing to rethrow. */
  onConnectionError?: (err: Error) => void;
  /** Pool size (PostgreSQL). */
  max?: number;
  /**
   * Statements with parameters are named, so each connection parses and plans them once (PostgreSQL; default on,
   * `DATABASE_PREPARED_STATEMENTS=off` for a pooler without prepared statement support). See prepared-statements.ts.
   */
  preparedStatements?: boolean;
}

/**
 * Makes a pg pool survive its server going away. pg emits 'error' on the pool for idle clients and on the client
 * itself for a checked-out one between queries (kysely holds one for a transaction): an EventEmitter 'error' with
 * no listener ends the process, so both get one. The query in flight fails, the pool drops that client and the
 * next query connects again.
 */
export function guardPool(pool: pg.Pool, onError: (err: Error) => void): void {
  pool.on('error', (err) => onError(err));
  pool.on('connect', (client) => {
    client.on('error', (err) => onError(err));
  });
}

/** Prepared statements kept per SQL text (the most recently used ones). */
export const statementCacheSize = 200;

/**
 * The SQLite database as Kysely's driver sees it, with its prepared statements kept and reused: the driver prepares
 * every query anew, and preparing (SQLite compiling the SQL) was most of the cost of the small writes a run makes by
 * the thousand (a push of 1,000 events: an upsert of a 25-column row per item, docs/BENCHMARKS.md). A statement still
 * running (an iteration under way) is not handed out twice: a fresh one is prepared for that query.
 */
export function withStatementCache(sqlite: Database.Database, size = statementCacheSize) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: (): void => {
      cache.clear();
      sqlite.close();
    },
    prepare(sql: string): Database.Statement {
      const kept = cache.get(sql);
      if (kept) {
        if (kept.busy) return sqlite.prepare(sql);
        // Most recently used last: the first key is the one to drop.
        cache.delete(sql);
        cache.set(sql, kept);
        return kept;
      }
      const stmt = sqlite.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
      return stmt;
    },
  };
}

/** Opens the store named by DATABASE_URL: `sqlite:<file>` (embedded default; the folder is created) or `postgres://…`. */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Db {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const sqlite = new Database(file === '' ? ':memory:' : file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const kysely = new Kysely<DatabaseSchema>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // A connection attempt against a server that is down fails fast instead of hanging a request or a run.
    // The driver is loaded only where PostgreSQL is the store: a command on SQLite never loads it (issue 23).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Pool } = require('pg') as typeof pg;
    const pool = new Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: 10_000 });
    let errors = 0;
    guardPool(pool, (err) => {
      errors++;
      options.onConnectionError?.(err);
    });
    if (options.preparedStatements ?? true) namePreparedStatements(pool);
    const kysely = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
    return {
      kysely,
      dialect: 'postgres',
      poolState: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, errors }),
      close: () => kysely.destroy(),
    };
  }
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got ${url.split(':')[0]}:…)`);
}
