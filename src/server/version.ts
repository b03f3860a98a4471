import fs from 'node:fs';
import path from 'node:path';

/** The package version, from the nearest package.json above this file (src/, dist/ and dist-bench/ alike). */
export const version: string = (() => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
})();
