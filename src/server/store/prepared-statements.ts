import type pg from 'pg';

/**
 * Named statements for a pg pool. A statement sent without a name is parsed, analysed and planned by PostgreSQL on
 * every execution; a named one is parsed once per connection (node-postgres remembers which names a connection
 * has prepared and then sends only Bind/Execute), and PostgreSQL's plan cache can reuse its plan. A no-op run sends
 * the same few statements every time (lease, history, settings, the run's state, the queue's fetch and completion):
 * naming them cut PostgreSQL's CPU per no-op run by about a third (docs/server.md, "Scaling").
 *
 * Every statement with parameters is named by its text (the same text always gets the same name), up to
 * `maxNames` different texts per process (texts that vary, such as `in ($1, $2, …)` lists of any length, would
 * otherwise prepare without end); further texts go unnamed. A prepared statement whose result columns change under
 * it (a migration adding a column to a table a `select *` reads, while this process runs) fails once with
 * "cached plan must not change result type" (0A000); its text then gets a new name, so the next execution is
 * prepared afresh. The same for "prepared statement … does not exist" (26000).
 */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private next = 0;

  constructor(private readonly maxNames = 1000) {}

  /** The name for this text, or undefined when the process already named `maxNames` texts. */
  nameFor(text: string): string | undefined {
    let name = this.names.get(text);
    if (name === undefined && this.names.size < this.maxNames) {
      name = `crm_sync_${(this.next++).toString(36)}`;
      this.names.set(text, name);
    }
    return name;
  }

  /** After a failed execution: a stale prepared statement gets a new name (prepared again on its next use). */
  failed(text: string, err: unknown): void {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === '0A000' || code === '26000') this.names.delete(text);
  }

  get size(): number {
    return this.names.size;
  }
}

/** One set of names for the process: a name means the same text on every connection of every pool. */
export const processStatementNames = new StatementNames();

type QueryFn = (...args: unknown[]) => unknown;
type Callback = (err: Error | null, res: unknown) => void;

/**
 * Names the statements of every connection the pool opens: `query(text, values)` (Kysely) and
 * `query(text, values, callback)` (pg's `pool.query`, pg-boss) with at least one parameter become
 * `query({ name, text, values })`. Anything else (no parameters, a config object, a cursor) goes as it was.
 */
export function namePreparedStatements(pool: pg.Pool, names: StatementNames = processStatementNames): void {
  pool.on('connect', (client) => {
    const target = client as unknown as { query: QueryFn };
    const query = target.query.bind(client) as QueryFn;
    target.query = (...args: unknown[]) => {
      const [text, values, callback] = args;
      const plain =
        typeof text === 'string' &&
        Array.isArray(values) &&
        values.length > 0 &&
        (args.length === 2 || (args.length === 3 && typeof callback === 'function'));
      if (!plain) return query(...args);
      const name = names.nameFor(text);
      if (name === undefined) return query(...args);
      const config = { name, text, values };
      if (typeof callback === 'function') {
        return query(config, (err: Error | null, res: unknown) => {
          if (err) names.failed(text, err);
          (callback as Callback)(err, res);
        });
      }
      return (query(config) as Promise<unknown>).catch((err: unknown) => {
        names.failed(text, err);
        throw err;
      });
    };
  });
}
