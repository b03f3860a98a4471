'use strict';
/**
 * The part of undici the connector uses, for the CLI bundle only: webpack.cli.config.js resolves `undici` here.
 * src/providers/http/safe-fetch.ts takes Agent, fetch and Headers; undici's own index also loads its mock and proxy
 * agents, cache stores, WebSocket, EventSource and cookie helpers on every command start (issue 23, measured in
 * docs/BENCHMARKS.md "CLI start"). test/server/cli-bundle-undici.test.ts checks that every value the sources import
 * from undici is here.
 */
const Dispatcher = require('undici/lib/dispatcher/dispatcher');

// As undici's index does: request(), stream(), pipeline()… on every dispatcher.
Object.assign(Dispatcher.prototype, require('undici/lib/api'));

module.exports = {
  Agent: require('undici/lib/dispatcher/agent'),
  Dispatcher,
  fetch: require('undici/lib/web/fetch').fetch,
  Headers: require('undici/lib/web/fetch/headers').Headers,
};
