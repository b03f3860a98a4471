/**
 * Builds the task pane into dist/addin: the React bundle, taskpane.html, the icons, office.js copied from the
 * @microsoft/office-js package (served locally, marked minimized so the build does not re-minify it) and
 * manifest.xml with its development origin swapped for PUBLIC_URL in production builds.
 */
const path = require('node:path');
const zlib = require('node:zlib');
const HtmlWebpackPlugin = require('html-webpack-plugin');
const CopyWebpackPlugin = require('copy-webpack-plugin');

const DEV_ORIGIN = 'https://localhost:3000';

/** The origin the add-in is served from, as written into the manifest. */
function addinOrigin(mode) {
  if (mode !== 'production') return DEV_ORIGIN;
  const url = (process.env.PUBLIC_URL || DEV_ORIGIN).replace(/\/+$/, '');
  if (!url.startsWith('https://')) {
    throw new Error(`PUBLIC_URL must be an https origin for a production manifest (got ${url})`);
  }
  return url;
}

/**
 * Writes a brotli (.br) and a gzip (.gz) copy next to every text asset worth compressing, so the server sends
 * compressed files without compressing on each request (@fastify/static `preCompressed`). Source maps are left
 * alone (only developers fetch them); of the copied office.js package only what Outlook loads is compressed (the
 * Excel/Word/PowerPoint host scripts are most of its 45 MB and would make the build minutes longer for nothing).
 */
function worthCompressing(name) {
  if (!/\.(js|css|html|xml|svg|json)$/.test(name)) return false;
  if (!name.startsWith('office-js/')) return true;
  return /^office-js\/((office|o15apptofilemappingtable|outlook[\w.-]*)\.js|[\w-]+\/(office|outlook)_strings\.js)$/.test(
    name,
  );
}

class PrecompressPlugin {
  apply(compiler) {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap('PrecompressPlugin', (compilation) => {
      compilation.hooks.processAssets.tap(
        // After minification (OPTIMIZE_SIZE) and hashing: the compressed copies are of the final files.
        { name: 'PrecompressPlugin', stage: Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE_TRANSFER },
        (assets) => {
          for (const name of Object.keys(assets)) {
            if (!worthCompressing(name)) continue;
            const buf = assets[name].buffer();
            if (buf.length < 1024) continue;
            const br = zlib.brotliCompressSync(buf, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
              },
            });
            const gz = zlib.gzipSync(buf, { level: 9 });
            compilation.emitAsset(`${name}.br`, new sources.RawSource(br), { minimized: true, compressed: true });
            compilation.emitAsset(`${name}.gz`, new sources.RawSource(gz), { minimized: true, compressed: true });
          }
        },
      );
    });
  }
}

module.exports = (_env, argv) => {
  const mode = argv.mode === 'development' ? 'development' : 'production';
  const origin = addinOrigin(mode);
  return {
    mode,
    devtool: mode === 'production' ? 'source-map' : 'eval-cheap-module-source-map',
    entry: { taskpane: './src/addin/index.tsx' },
    output: {
      path: path.resolve(__dirname, 'dist/addin'),
      filename: '[name].[contenthash:8].js',
      chunkFilename: '[name].[contenthash:8].js',
      publicPath: '/',
      clean: true,
    },
    // The pane's dynamic imports carry .js (TypeScript's nodenext rule); they resolve to the .ts/.tsx source.
    resolve: { extensions: ['.tsx', '.ts', '.js'], extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'ts-loader',
            options: {
              transpileOnly: true,
              configFile: 'tsconfig.json',
              compilerOptions: { module: 'esnext', moduleResolution: 'bundler' },
            },
          },
        },
      ],
    },
    performance: { hints: false },
    plugins: [
      new PrecompressPlugin(),
      new HtmlWebpackPlugin({
        filename: 'taskpane.html',
        template: './src/addin/taskpane.html',
        chunks: ['taskpane'],
      }),
      new CopyWebpackPlugin({
        patterns: [
          { from: 'assets', to: 'assets' },
          {
            from: 'node_modules/@microsoft/office-js/dist',
            to: 'office-js',
            // The debug builds are only loaded when Office runs in debug mode; leaving them out halves the copy.
            globOptions: { ignore: ['**/*.debug.js'] },
            info: { minimized: true },
          },
          {
            from: 'manifest.xml',
            to: 'manifest.xml',
            transform: (content) => content.toString().split(DEV_ORIGIN).join(origin),
          },
        ],
      }),
    ],
  };
};
