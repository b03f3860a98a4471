import type { Clock } from '../../shared/clock';
import type { RunQueue } from '../jobs/queue';
import type { EngineApi } from '../runs/engine-api';
import type { RunService } from '../runs/run-service';
import type { UserSettingsService } from '../runs/user-settings';
import type { ConnectionRepository } from '../store/connections';
import type { SyncStateRepository } from '../store/sync-state';
import type { UserRecord, UserRepository } from '../store/users';

/** What the sync use cases are built from: the engine, the run lease, the queue and the stores below them. */
export interface SyncServiceDeps {
  clock: Clock;
  users: UserRepository;
  connections: ConnectionRepository;
  userSettings: UserSettingsService;
  syncState: SyncStateRepository;
  runs: RunService;
  queue: RunQueue;
  engine: EngineApi;
}

/** The user a use case acts for: the signed-in user (HTTP) or the one named by e-mail (CLI). */
export type SyncUser = Pick<UserRecord, 'tenantId' | 'id'>;
