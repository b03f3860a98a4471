/**
 * A no-op run opens no store transaction (issue 16): on PostgreSQL an empty one still costs two round trips
 * (BEGIN, COMMIT), and most runs change nothing. A run with something to store still commits it in one.
 */
import type { StatusStore } from '../../src/sync/status-store';
import { makeWorld } from './helpers';

/** Counts the transactions the run opens on the world's store (the memory store has none of its own). */
function countTransactions(store: StatusStore): { opened: number } {
  const counter = { opened: 0 };
  store.transaction = async <T>(fn: () => Promise<T>): Promise<T> => {
    counter.opened += 1;
    return fn();
  };
  return counter;
}

test('a no-op run opens no transaction; a run with a change opens one per step that stores something', async () => {
  const w = makeWorld();
  const item = w.crmCreate();
  const counter = countTransactions(w.store);
  const first = await w.run();
  expect(first.calendar.created).toBe(1);
  expect(counter.opened).toBeGreaterThan(0);

  counter.opened = 0;
  const noop = await w.run();
  expect(noop.status).toBe('succeeded');
  expect(w.writes()).toEqual({ crm: 1, calendar: 1 }); // the first run's create and its iCalUId write-back only
  expect(counter.opened).toBe(0);

  w.crm.userUpdate(item.id, { subject: 'Moved to Friday' });
  counter.opened = 0;
  const changed = await w.run();
  expect(changed.calendar.updated).toBe(1);
  expect(counter.opened).toBeGreaterThan(0);
});
