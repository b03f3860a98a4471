/**
 * `.env` in the working directory, read by every entry point (`npm start`, `crm-sync serve`, every CLI command),
 * so the server and the command line see the same settings (e.g. ALLOWED_PRIVATE_HOSTS: a CLI run without it
 * refused the CalDAV server the pane connected to, and that failed run showed up in the user's History).
 * Variables already set in the environment win.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

export function loadDotEnv(dir: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | null {
  const file = path.join(dir, '.env');
  if (!fs.existsSync(file)) return null;
  for (const [k, v] of Object.entries(parseEnv(fs.readFileSync(file, 'utf8')))) {
    if (env[k] === undefined && v !== undefined) env[k] = v;
  }
  return file;
}
