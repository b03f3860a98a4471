/**
 * Builds the task pane into dist/addin: the React bundle, taskpane.html, the icons, office.js copied from the
 * @microsoft/office-js package (served locally, marked minimized so the build does not re-minify it) and
 * manifest.xml with its development origin swapped for PUBLIC_URL in production builds.
 */
const path = require('node:path');
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
