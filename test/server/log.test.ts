import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLazyLogger, redactedPaths } from '../../src/server/log';

describe('log redaction', () => {
  it('never writes credentials, tokens or form fields', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const log = pino({ redact: { paths: redactedPaths, censor: '[redacted]' } }, sink);
    log.info({
      fields: { password: 'pw-1' },
      secrets: { refreshToken: 'rt-1' },
      req: { headers: { authorization: 'Bearer t-1' } },
    });
    log.info({ connection: { password: 'pw-2', token: 't-2', clientSecret: 's-2' }, codeVerifier: 'v-1' });
    for (const s of ['pw-1', 'rt-1', 't-1', 'pw-2', 't-2', 's-2', 'v-1']) expect(out).not.toContain(s);
    expect(out).toContain('[redacted]');
  });
});

describe('the logger made at its first line (the CLI)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lazy-log-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A logger writing to a file; `read(n)` waits (2 s at most) for n lines, pino writing asynchronously. */
  function fileLogger(level: string) {
    const file = path.join(dir, 'log.ndjson');
    const log = createLazyLogger(level, fs.openSync(file, 'w'));
    const lines = () => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const read = async (n: number): Promise<string[]> => {
      for (let i = 0; i < 200 && lines().length < n; i++) await new Promise((r) => setTimeout(r, 10));
      return lines();
    };
    return { log, read };
  }

  it('writes at its level, with the same redaction as the server', async () => {
    const { log, read } = fileLogger('warn');
    expect(log.isLevelEnabled('info')).toBe(false);
    log.info('not written');
    log.warn({ connection: { password: 'pw-cli', token: 't-cli' }, err: 'boom' }, 'run failed');
    const lines = await read(1);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      level: 40,
      msg: 'run failed',
      err: 'boom',
      connection: { password: '[redacted]', token: '[redacted]' },
    });
  });

  it('a level set on it is the real logger’s', async () => {
    const { log, read } = fileLogger('warn');
    log.level = 'debug';
    expect(log.level).toBe('debug');
    log.debug('now written');
    expect((await read(1)).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['now written']);
  });
});
