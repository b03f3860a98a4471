#!/usr/bin/env node
'use strict';
// Node's compile cache on before the command's code is read (issue 23): see src/server/main.ts.
require('node:module').enableCompileCache?.();
const path = require('node:path');
const fs = require('node:fs');
// The command line as one file (webpack.cli.config.js), built by `npm run build:server` after tsc.
const entry = path.join(__dirname, '..', 'dist', 'cli', 'crm-sync.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('crm-sync: the server is not built; run `npm run build` first\n');
  process.exit(1);
}
require(entry);
