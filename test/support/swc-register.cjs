/**
 * A require hook for child processes that tests start: `.ts` sources are stripped by SWC as Jest does
 * (type checking is `npm run typecheck`).
 */
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

// Dynamic imports in the sources carry .js (TypeScript's nodenext rule) and name .ts files, as Jest's
// moduleNameMapper resolves them: a relative `./x.js` that does not exist is `./x.ts`.
const Module = require('node:module');
const path = require('node:path');
const resolve = Module._resolveFilename;
Module._resolveFilename = function resolveTs(request, parent, ...rest) {
  if (/^\.{1,2}\/.*\.js$/.test(request) && parent?.filename) {
    const ts = path.resolve(path.dirname(parent.filename), request.replace(/\.js$/, '.ts'));
    if (fs.existsSync(ts)) return ts;
  }
  return resolve.call(this, request, parent, ...rest);
};
