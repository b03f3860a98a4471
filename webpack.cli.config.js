/**
 * Builds the `crm-sync` command line into one file, dist/cli/crm-sync.js, from the server as tsc compiled it
 * (dist/server/main.js; `npm run build:server` runs tsc first, then this). bin/crm-sync.js runs it.
 *
 * Why (issue 23, docs/BENCHMARKS.md "CLI start"): a steady no-op `crm-sync sync` is mostly process start, and most
 * of that was finding, reading and linking some 640 module files one by one (Kysely alone is 300 ES modules, loaded
 * through require(esm)). One file does the same work for about two thirds of the CPU time. Nothing else changes:
 * the modules keep their order and their on-demand loading (a command group, a provider, the HTTP server is still
 * run only when first imported; it is only in the same file).
 *
 * Bundled: the packages the commands themselves load. Every other dependency stays in node_modules and is required
 * from there at run time as before: the native SQLite driver, and what only `serve` and `worker` use (Fastify and
 * its plugins, pg, pg-boss, MSAL, jose, prom-client).
 *
 * Minified by SWC (whitespace, comments, local names; class and function names kept, so stack traces and
 * `constructor.name` read as before), in ASCII only: the file is half the size, and an ASCII file is read into a
 * one-byte string without UTF-8 decoding (on the 2-vCPU bench machine reading and decoding the 5 MB unminified file
 * took 50–150 ms).
 *
 * Its first line names the build (a hash of the code): bin/run-bundle.js keeps a V8 code cache per build and command.
 * The same line opens Node's module wrapper, closed on the last line: the file is a function expression that
 * bin/run-bundle.js compiles as read and calls as require() would call a module; it is not itself a module to require.
 *
 * `__dirname` is left to Node (the bundle's own folder, dist/cli): config.ts's default ADDIN_DIR (`../addin`) and
 * version.ts (package.json above) resolve from it exactly as from dist/server.
 */
const path = require('node:path');
const webpack = require('webpack');
const { createHash } = require('node:crypto');
const { minifySync } = require('@swc/core');
const { dependencies } = require('./package.json');

const bundled = ['commander', 'fast-xml-parser', 'ical.js', 'ipaddr.js', 'kysely', 'pino', 'undici', 'zod'];
const external = Object.keys(dependencies).filter((d) => !bundled.includes(d));

/**
 * Modules that a package requires at its top but a steady sync never uses: the bundle loads them at first use
 * through a shim of scripts/bundle-lazy (each of Node's own modules costs 2–7 ms to load). `from` is the request as
 * written in `file`; the build fails if a package update changes it.
 */
const lazyRequires = [
  { file: 'commander/lib/command.js', from: "'node:child_process'", shim: 'child_process.cjs' },
  { file: 'undici/lib/web/fetch/index.js', from: "'node:zlib'", shim: 'zlib.cjs' },
  { file: 'undici/lib/web/fetch/util.js', from: "'node:zlib'", shim: 'zlib.cjs' },
  { file: 'undici/lib/dispatcher/client.js', from: "'./client-h2.js'", shim: 'undici-client-h2.cjs' },
];

// Node's module wrapper, as bin/run-bundle.js recognises it.
const { WRAPPER_HEAD, WRAPPER_TAIL } = require('./bin/run-bundle.js');

/** Minifies every emitted .js file with SWC (the same SWC the tests strip TypeScript with). */
class SwcMinifyPlugin {
  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap('SwcMinifyPlugin', (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: 'SwcMinifyPlugin', stage: Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE_SIZE },
        (assets) => {
          for (const name of Object.keys(assets).filter((n) => n.endsWith('.js'))) {
            const { code } = minifySync(assets[name].source().toString(), {
              compress: true,
              mangle: { keep_classnames: true, keep_fnames: true },
              keep_classnames: true,
              keep_fnames: true,
              format: { comments: false, asciiOnly: true },
            });
            // The build's hash on the first line: bin/run-bundle.js names its code cache after it. Then Node's module
            // wrapper, which bin/run-bundle.js would otherwise add (a joined string V8 copies whole before it
            // compiles); the code keeps its line numbers, from line 2.
            const build = createHash('sha256').update(code).digest('hex').slice(0, 32);
            const wrapped = `/*! crm-sync build ${build} */${WRAPPER_HEAD}\n${code}${WRAPPER_TAIL}`;
            compilation.updateAsset(name, new sources.RawSource(wrapped));
          }
        },
      );
    });
  }
}

module.exports = {
  mode: 'production',
  target: 'node24',
  context: __dirname,
  entry: './dist/server/main.js',
  output: {
    path: path.join(__dirname, 'dist', 'cli'),
    filename: 'crm-sync.js',
    library: { type: 'commonjs2' },
    clean: true,
  },
  externalsPresets: { node: true },
  externals: [
    ({ request }, callback) => {
      const pkg = external.find((d) => request === d || request.startsWith(`${d}/`));
      return pkg ? callback(null, `commonjs ${request}`) : callback();
    },
  ],
  node: { __dirname: false, __filename: false },
  module: {
    rules: lazyRequires.map(({ file, from, shim }) => ({
      test: (resource) => resource.split(path.sep).join('/').endsWith(`/node_modules/${file}`),
      loader: path.join(__dirname, 'scripts', 'bundle-lazy', 'loader.cjs'),
      options: { from, to: path.join(__dirname, 'scripts', 'bundle-lazy', shim) },
    })),
  },
  // undici as far as the connector uses it (scripts/bundle-undici.cjs): its index loads much that no command needs.
  resolve: { alias: { undici$: path.join(__dirname, 'scripts', 'bundle-undici.cjs') } },
  plugins: [
    // One file: the on-demand modules are in it too, each still run only when first imported.
    new webpack.optimize.LimitChunkCountPlugin({ maxChunks: 1 }),
    new SwcMinifyPlugin(),
  ],
  optimization: { minimize: false },
  devtool: false,
  performance: { hints: false },
  stats: 'errors-warnings',
};

// For test/server/cli-bundle-lazy.test.ts: each shim still applies to the installed packages.
// Not enumerable: webpack checks the configuration's own keys.
Object.defineProperty(module.exports, 'lazyRequires', { value: lazyRequires });
