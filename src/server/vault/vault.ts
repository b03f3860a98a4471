import crypto from 'node:crypto';
import type { Keyring, VaultKey } from './keyring';

/**
 * AES-256-GCM envelope for credentials and tokens (SPEC §9). Ciphertext text form:
 * `v1.<keyId>.<iv>.<tag>.<data>` (base64url). The context (e.g. `connection:<tenant>:<user>:crm`) is bound as
 * additional authenticated data, so a ciphertext copied into another row or tenant does not open.
 */
export class Vault {
  constructor(private keyring: Keyring) {}

  get currentKeyId(): string {
    return this.keyring.current.id;
  }

  useKeyring(keyring: Keyring): void {
    this.keyring = keyring;
  }

  encrypt(plaintext: string, context: string): string {
    const key = this.keyring.current;
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', key.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', key.id, iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.');
  }

  decrypt(ciphertext: string, context: string): string {
    const parts = ciphertext.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new VaultError('not a vault ciphertext');
    const [, keyId, iv, tag, data] = parts as [string, string, string, string, string];
    const key = this.key(keyId);
    const decipher = crypto.createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultError('ciphertext does not open with its key and context');
    }
  }

  encryptJson(value: unknown, context: string): string {
    return this.encrypt(JSON.stringify(value), context);
  }

  decryptJson<T>(ciphertext: string, context: string): T {
    return JSON.parse(this.decrypt(ciphertext, context)) as T;
  }

  keyIdOf(ciphertext: string): string | null {
    const parts = ciphertext.split('.');
    return parts.length === 5 && parts[0] === 'v1' ? (parts[1] ?? null) : null;
  }

  /** Re-encrypts under the current key (no-op when it already is). */
  reencrypt(ciphertext: string, context: string): string {
    if (this.keyIdOf(ciphertext) === this.keyring.current.id) return ciphertext;
    return this.encrypt(this.decrypt(ciphertext, context), context);
  }

  private key(id: string): VaultKey {
    const k = this.keyring.all.find((x) => x.id === id);
    if (!k) throw new VaultError(`ciphertext was made with key ${id}, which is not configured`);
    return k;
  }
}

export class VaultError extends Error {}
