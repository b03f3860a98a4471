import { enableCompileCache } from 'node:module';

// A CLI command is mostly start-up: Node keeps the compiled code of every module in a cache folder between
// commands (NODE_COMPILE_CACHE or the system's temporary folder), so a steady no-op sync does not compile the
// engine, the store and its providers again each time (issue 23).
enableCompileCache?.();

// Loaded after the cache is on, so they are cached too.
void (async () => {
  const { loadDotEnv } = await import('./env-file.js');
  loadDotEnv();
  const { runCli } = await import('./cli/index.js');
  await runCli(process.argv);
})();
