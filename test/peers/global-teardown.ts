/** Stops the SuiteCRM that global-setup started (by its recorded pids; stop.sh also removes its folder). */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { suiteCrmInstance, suiteCrmPeerDir } from '../support/suitecrm-peer';

export default function globalTeardown(): void {
  const instance = suiteCrmInstance();
  const dir = suiteCrmPeerDir();
  if (!instance || !dir || process.env.SUITECRM_PEER_OWNED !== '1') return;
  execFileSync(path.join(dir, 'stop.sh'), [instance.dir], { stdio: 'inherit' });
}
