import type { Kysely } from 'kysely';
import type { DatabaseSchema } from './schema';

export interface WorkerHeartbeat {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  seenAt: string;
  activeRuns: number;
}

/** Worker processes' heartbeats: each live worker refreshes its row; a row not seen for a while is a dead worker. */
export class WorkerRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  async beat(w: WorkerHeartbeat): Promise<void> {
    await this.db
      .insertInto('worker_heartbeats')
      .values({
        id: w.id,
        host: w.host,
        pid: w.pid,
        started_at: w.startedAt,
        seen_at: w.seenAt,
        active_runs: w.activeRuns,
      })
      .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at: w.seenAt, active_runs: w.activeRuns }))
      .execute();
  }

  async remove(id: string): Promise<void> {
    await this.db.deleteFrom('worker_heartbeats').where('id', '=', id).execute();
  }

  async list(): Promise<WorkerHeartbeat[]> {
    const rows = await this.db.selectFrom('worker_heartbeats').selectAll().orderBy('started_at').execute();
    return rows.map((r) => ({
      id: r.id,
      host: r.host,
      pid: Number(r.pid),
      startedAt: r.started_at,
      seenAt: r.seen_at,
      activeRuns: Number(r.active_runs),
    }));
  }

  /** Forgets workers not seen since `before` (they stopped without saying so). */
  async prune(before: Date): Promise<number> {
    const r = await this.db
      .deleteFrom('worker_heartbeats')
      .where('seen_at', '<', before.toISOString())
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
