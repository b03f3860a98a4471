import crypto from 'node:crypto';
import { keyringFromEnvironment } from '../../../src/server/vault/keyring';
import { Vault } from '../../../src/server/vault/vault';

export function testVault(): Vault {
  return new Vault(keyringFromEnvironment(`t1:${crypto.randomBytes(32).toString('base64')}`));
}
