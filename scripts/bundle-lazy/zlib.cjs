'use strict';
// undici's fetch requires node:zlib at its top; it decodes only compressed answers.
module.exports = require('./lazy.cjs').lazy(() => require('node:zlib'));
