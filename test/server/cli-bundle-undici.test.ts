/**
 * The CLI bundle takes undici from scripts/bundle-undici.cjs (webpack.cli.config.js), which holds only what the
 * sources use: every value the sources import from 'undici' has to be there, or the bundled command fails where the
 * tests of the sources pass.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** The values (not types) imported from 'undici' by `import { … } from 'undici'` in `text`. */
function undiciValues(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'undici'/g)) {
    if (m[1]) continue;
    for (const part of (m[2] ?? '').split(',')) {
      const spec = part.trim();
      if (!spec || spec.startsWith('type ')) continue;
      out.push(spec.split(/\s+as\s+/)[0]!.trim());
    }
  }
  return out;
}

describe('the undici the CLI bundle carries', () => {
  it('reads the imports it checks (a value, a renamed one, a type left out)', () => {
    expect(undiciValues("import { Agent, Headers as H, type Dispatcher } from 'undici';")).toEqual([
      'Agent',
      'Headers',
    ]);
    expect(undiciValues("import type { Dispatcher } from 'undici';")).toEqual([]);
  });

  it('has every value the sources import from undici, working', () => {
    const used = new Set(sourceFiles(path.join(root, 'src')).flatMap((f) => undiciValues(fs.readFileSync(f, 'utf8'))));
    expect(used.size).toBeGreaterThan(0);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const slim = require(path.join(root, 'scripts', 'bundle-undici.cjs')) as Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const full = require('undici') as Record<string, unknown>;
    for (const name of used) {
      expect({ name, type: typeof slim[name] }).toEqual({ name, type: 'function' });
      expect({ name, same: slim[name] === full[name] || name === 'fetch' }).toEqual({ name, same: true });
    }
    // A bare import with no namespace or default form: the bundle aliases the whole module name.
    const other = sourceFiles(path.join(root, 'src')).filter((f) =>
      /import\s+(\*\s+as\s+\w+|\w+)\s+from\s+'undici'/.test(fs.readFileSync(f, 'utf8')),
    );
    expect(other).toEqual([]);
  });
});
