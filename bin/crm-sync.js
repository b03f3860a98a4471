#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'server', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('crm-sync: the server is not built; run `npm run build` first\n');
  process.exit(1);
}
require(entry);
