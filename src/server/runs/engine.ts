import { applyCleanup, previewCleanup, previewSync, resetSync, runSync, undoCleanup } from '../../sync';
import type { EngineApi } from './engine-api';

/** The real engine (src/sync), bound to the interface the server calls; the type check proves they agree. */
export const engine: EngineApi = { runSync, previewSync, previewCleanup, applyCleanup, undoCleanup, resetSync };
