import type { Command } from 'commander';
import type { CliShell } from './shell';

/** keys rotate: the vault's master keys. */
export function registerKeyCommands(program: Command, sh: CliShell): void {
  const keys = program.command('keys').description('vault keys');
  keys
    .command('rotate')
    .description('make a new key current (key file) and re-encrypt every stored secret under the current key')
    .action(async () => {
      const [{ addKeyToFile, loadKeyring }, { reencryptAll }] = await Promise.all([
        import('../vault/keyring.js'),
        import('../vault/rotate.js'),
      ]);
      const config = await sh.loadConfig();
      let keyring = loadKeyring(config);
      if (keyring.source === 'key-file') keyring = addKeyToFile(keyring);
      await sh.withRuntime(async (rt) => {
        rt.vault.useKeyring(keyring);
        const r = await reencryptAll(rt.db, rt.vault);
        sh.out(`current key ${r.keyId}: re-encrypted ${r.reencrypted}, already current ${r.unchanged}`, r);
      }, config);
    });
}
