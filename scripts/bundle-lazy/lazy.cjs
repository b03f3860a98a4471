'use strict';
/**
 * For the CLI bundle only (webpack.cli.config.js): a module that some package requires at its top but uses only
 * later, or never in most commands, is loaded at its first use instead (issue 23, docs/BENCHMARKS.md "CLI start").
 * Reading any property loads it, except `__esModule`, which webpack's interop asks at import time.
 */
function lazy(load) {
  let loaded;
  const real = () => (loaded ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => (key === '__esModule' ? undefined : Reflect.get(real(), key)),
      has: (_, key) => key in real(),
    },
  );
}

module.exports = { lazy };
