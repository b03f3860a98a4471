/**
 * The server's application services for sync and the item panel, one per use case. The pane's HTTP handlers and the CLI's commands
 * call these and nothing below them (the engine, the run lease, the queue): a use case is written once, and
 * `.dependency-cruiser.cjs` (rule `entry-points-use-services`) keeps it that way.
 */
import { CleanupService } from './cleanup';
import { ItemPanelService, type ItemPanelDeps } from './item-panel';
import type { SyncServiceDeps } from './deps';
import { ResetService } from './reset';
import { RunHistoryService } from './run-history';
import { SyncPreviewService } from './sync-preview';
import { SyncRunService } from './sync-run';
import { SyncSettingsService } from './sync-settings';
import { SyncStatusService } from './sync-status';

export type { SyncServiceDeps, SyncUser } from './deps';
export { automaticRunsWanted, pauseOf, type Pause, type PauseFacts } from './pause';

export interface SyncServices {
  run: SyncRunService;
  preview: SyncPreviewService;
  cleanup: CleanupService;
  reset: ResetService;
  status: SyncStatusService;
  settings: SyncSettingsService;
  history: RunHistoryService;
  /** The item panel: the CRM items behind the open Outlook item, and their Sync-to-calendar flag. */
  items: ItemPanelService;
}

export function createSyncServices(deps: SyncServiceDeps & ItemPanelDeps): SyncServices {
  return {
    run: new SyncRunService(deps),
    preview: new SyncPreviewService(deps),
    cleanup: new CleanupService(deps),
    reset: new ResetService(deps),
    status: new SyncStatusService(deps),
    settings: new SyncSettingsService(deps),
    history: new RunHistoryService(deps),
    items: new ItemPanelService(deps),
  };
}
