import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** One AES-256 key and the id stored beside every ciphertext it made. */
export interface VaultKey {
  id: string;
  key: Buffer;
}

/** The keys the vault knows; `current` encrypts, all of them decrypt (so keys can rotate). */
export interface Keyring {
  current: VaultKey;
  all: VaultKey[];
  /** Where the keys came from, for `crm-sync doctor` (never the key material). */
  source: 'environment' | 'key-file';
  file: string | null;
}

export class KeyringError extends Error {}

const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

function decodeKey(id: string, material: string): VaultKey {
  const trimmed = material.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new KeyringError(`key ${id} must be 32 bytes (base64 or 64 hex characters)`);
  if (!keyIdPattern.test(id)) throw new KeyringError(`key id ${JSON.stringify(id)} must match ${keyIdPattern}`);
  return { id, key };
}

/**
 * CONNECTOR_MASTER_KEY: `key` (id "k1") or `id:key,id:key…`, newest first. To rotate, put the new key in
 * front, restart, and run `crm-sync keys rotate` to re-encrypt everything with it.
 */
export function keyringFromEnvironment(value: string): Keyring {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new KeyringError('CONNECTOR_MASTER_KEY is empty');
  const all = parts.map((p) => {
    const i = p.indexOf(':');
    return i < 0 ? decodeKey('k1', p) : decodeKey(p.slice(0, i), p.slice(i + 1));
  });
  return { current: all[0] as VaultKey, all, source: 'environment', file: null };
}

interface KeyFile {
  current: string;
  keys: { id: string; key: string }[];
}

/** Development key file (mode 0600), created on first use. */
export function keyringFromFile(file: string, options: { create: boolean }): Keyring {
  if (!fs.existsSync(file)) {
    if (!options.create) throw new KeyringError(`no key file at ${file} and CONNECTOR_MASTER_KEY is not set`);
    writeKeyFile(file, { current: 'k1', keys: [{ id: 'k1', key: crypto.randomBytes(32).toString('base64') }] });
  }
  const mode = fs.statSync(file).mode & 0o777;
  if (mode & 0o077)
    throw new KeyringError(`key file ${file} must not be readable by others (mode ${mode.toString(8)})`);
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  const all = parsed.keys.map((k) => decodeKey(k.id, k.key));
  const current = all.find((k) => k.id === parsed.current);
  if (!current) throw new KeyringError(`key file ${file} names a current key it does not hold`);
  return { current, all, source: 'key-file', file };
}

function writeKeyFile(file: string, content: KeyFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(content, null, 2), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

/** Adds a fresh key to the key file and makes it current; old keys stay so existing ciphertexts still open. */
export function addKeyToFile(keyring: Keyring): Keyring {
  if (!keyring.file) throw new KeyringError('keys come from CONNECTOR_MASTER_KEY: put the new key first there');
  const used = new Set(keyring.all.map((k) => k.id));
  let n = keyring.all.length + 1;
  while (used.has(`k${n}`)) n++;
  const fresh: VaultKey = { id: `k${n}`, key: crypto.randomBytes(32) };
  const all = [fresh, ...keyring.all];
  writeKeyFile(keyring.file, {
    current: fresh.id,
    keys: all.map((k) => ({ id: k.id, key: k.key.toString('base64') })),
  });
  return { ...keyring, current: fresh, all };
}

/** The key for this configuration: the environment in any case, else (outside production) ./data/master-key.json. */
export function loadKeyring(config: { CONNECTOR_MASTER_KEY?: string; NODE_ENV: string; DATA_DIR: string }): Keyring {
  if (config.CONNECTOR_MASTER_KEY) return keyringFromEnvironment(config.CONNECTOR_MASTER_KEY);
  if (config.NODE_ENV === 'production') throw new KeyringError('CONNECTOR_MASTER_KEY is required in production');
  return keyringFromFile(path.join(config.DATA_DIR, 'master-key.json'), { create: true });
}
