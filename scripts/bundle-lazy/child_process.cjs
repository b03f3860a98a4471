'use strict';
// commander requires node:child_process at its top; it spawns only for stand-alone executable subcommands.
module.exports = require('./lazy.cjs').lazy(() => require('node:child_process'));
