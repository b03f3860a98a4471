/** The engine's public API (the server, the CLI, the benchmark and the provider test suites use only this). */
export type { SyncCalendars, PlannedActionSummary } from './plan';
export type { EngineContext, SyncProgress, SyncPreview } from './run';
export { runSync, previewSync } from './run';
export type { DuplicateGroup, CleanupPreview } from './cleanup';
export { previewCleanup, applyCleanup, undoCleanup } from './cleanup';
export { resetSync } from './reset';
export type { CleanupRecord } from './status-store';
export { canonicalFields, contentHash } from './canonical';
