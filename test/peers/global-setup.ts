/**
 * Starts the real SuiteCRM 7.14.6 of ../shared/peers/suitecrm once for the `peers` Jest project (start.sh installs
 * PHP and MariaDB through apt the first time). Without ../shared the peer suites are skipped, and say so.
 * SUITECRM_INSTANCE (start.sh's JSON) may name an instance that is already running: then it is used and left alone.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { suiteCrmPeerDir } from '../support/suitecrm-peer';

export default function globalSetup(): void {
  if (process.env.SUITECRM_INSTANCE) {
    process.env.SUITECRM_PEER_OWNED = '';
    return;
  }
  const dir = suiteCrmPeerDir();
  if (!dir) {
    process.stdout.write('\nskipped: ../shared/peers/suitecrm not present (the SuiteCRM peer suites did not run)\n');
    return;
  }
  const started = performance.now();
  const out = execFileSync(path.join(dir, 'start.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  process.env.SUITECRM_INSTANCE = out.trim().split('\n').at(-1) ?? '';
  process.env.SUITECRM_PEER_OWNED = '1';
  process.stdout.write(`\nSuiteCRM peer started in ${Math.round((performance.now() - started) / 1000)} s\n`);
}
