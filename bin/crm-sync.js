#!/usr/bin/env node
'use strict';
// Node's compile cache on before any code is read (issue 23): the packages the bundle leaves in node_modules (the
// native SQLite driver's JavaScript, Fastify for `serve`) use it, and the bundle keeps its own beside it
// (run-bundle.js).
const { enableCompileCache, getCompileCacheDir } = require('node:module');
enableCompileCache?.();
const path = require('node:path');
const fs = require('node:fs');
// The command line as one file (webpack.cli.config.js), built by `npm run build:server` after tsc.
const entry = path.join(__dirname, '..', 'dist', 'cli', 'crm-sync.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('crm-sync: the server is not built; run `npm run build` first\n');
  process.exit(1);
}
const { runBundle, commandOf } = require('./run-bundle.js');
runBundle(entry, getCompileCacheDir?.(), commandOf(process.argv.slice(2)));
