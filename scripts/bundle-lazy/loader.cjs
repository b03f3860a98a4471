'use strict';
/**
 * webpack loader for webpack.cli.config.js: in one package file, points one module request at a shim of
 * scripts/bundle-lazy. Fails the build when the request is no longer written there (a package update changed it),
 * so a shim never silently stops applying.
 */
module.exports = function pointAtShim(source) {
  const { from, to } = this.getOptions();
  if (!source.includes(from)) throw new Error(`${this.resourcePath}: ${from} not found (scripts/bundle-lazy)`);
  return source.split(from).join(JSON.stringify(to));
};
