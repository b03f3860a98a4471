// `npm start`: the connector on its embedded default, ready to try on this machine. With no Entra app
// configured (ENTRA_CLIENT_ID unset) and no AUTH_MODE chosen, it turns on the development sign-in — explicitly,
// here, and says so — because nothing else could sign anyone in. In production (NODE_ENV=production) it
// never does: the server then refuses to start until Entra is configured.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

// The same .env the server and the CLI read (src/server/env-file.ts): an Entra app configured there counts.
if (fs.existsSync('.env')) process.loadEnvFile('.env');
const env = { ...process.env };
if (!env.AUTH_MODE && !env.ENTRA_CLIENT_ID && env.NODE_ENV !== 'production') {
  env.AUTH_MODE = 'dev';
  console.log('No Entra app configured (ENTRA_CLIENT_ID): starting with the development sign-in (AUTH_MODE=dev).');
}
const main = fileURLToPath(new URL('../dist/server/main.js', import.meta.url));
const child = spawn(process.execPath, [main, 'serve'], { env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
