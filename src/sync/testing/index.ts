/**
 * In-memory doubles of the engine's ports (CRM, calendar, status store) and fault injection, for the test suites
 * and the benchmark only. Not part of the engine's public API (src/sync/index.ts): the dependency rule
 * `sync-testing-only-for-tests-and-bench` (.dependency-cruiser.cjs) keeps production code from importing it.
 */
export { MemoryStatusStore } from './status-store';
export { MemoryCalendar } from './calendar';
export { MemoryCrm, MemoryCrmData } from './crm';
