import fs from 'node:fs';
import path from 'node:path';

/** The newest modification time in `p` (a file, or a folder and everything below it); 0 when it is missing. */
export function newestMtime(p: string): number {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, name)));
  return newest;
}
