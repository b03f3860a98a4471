/**
 * One turn of the event loop. SQLite's statements and an in-process CRM run synchronously; awaiting a turn first
 * lets requests already started leave (their connections open, their bytes are written) so the servers work while
 * this process does.
 */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
