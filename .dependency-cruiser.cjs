/**
 * The architecture's dependency direction (docs/ARCHITECTURE.md), checked by `npm run lint`:
 * the engine and shared depend on nothing of ours but shared; providers depend on the engine's interfaces;
 * the pane never reaches into server, engine or providers; nobody imports the server.
 */
module.exports = {
  forbidden: [
    {
      name: 'sync-is-pure',
      comment: 'src/sync is the engine: it may import only itself and src/shared.',
      severity: 'error',
      from: { path: '^src/sync/' },
      to: { path: '^src/(server|providers|addin)/' },
    },
    {
      name: 'shared-depends-on-nothing',
      comment: 'src/shared is used by both the pane and the server; it imports nothing else of ours.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/(server|providers|addin|sync)/' },
    },
    {
      name: 'addin-stays-in-the-browser',
      comment:
        'The pane talks to the server over HTTP only; it imports shared types, never server, engine or providers.',
      severity: 'error',
      from: { path: '^src/addin/' },
      to: { path: '^src/(server|sync|providers)/' },
    },
    {
      name: 'providers-use-engine-interfaces',
      comment: 'Providers may import the engine (its interfaces and model) and shared, never the server or the pane.',
      severity: 'error',
      from: { path: '^src/providers/' },
      to: { path: '^src/(server|addin)/' },
    },
    {
      name: 'calendar-and-crm-providers-apart',
      comment: 'Calendar providers and CRM providers do not depend on each other.',
      severity: 'error',
      from: { path: '^src/providers/calendar/' },
      to: { path: '^src/providers/crm/' },
    },
    {
      name: 'crm-and-calendar-providers-apart',
      severity: 'error',
      from: { path: '^src/providers/crm/' },
      to: { path: '^src/providers/calendar/' },
    },
    {
      name: 'sync-testing-only-for-tests-and-bench',
      comment:
        'src/sync/testing holds the in-memory doubles of the ports (test and benchmark storage): only test/, bench/ and ' +
        'src/sync/testing itself may import it, never production code.',
      severity: 'error',
      from: { pathNot: '^(test|bench|src/sync/testing)/' },
      to: { path: '^src/sync/testing/' },
    },
    {
      name: 'entry-points-use-services',
      comment:
        'The HTTP handlers and the CLI commands reach the sync use cases (run, preview, cleanup, reset, status, ' +
        'settings, history) through src/server/services: never the engine, the run service, the queue or the ' +
        'status store below them. Types may be named.',
      severity: 'error',
      from: { path: '^src/server/(http/handlers|cli)/' },
      to: {
        path: '^src/sync/|^src/server/runs/(run-service|engine)[.]ts$|^src/server/jobs/|^src/server/store/(db-status-store|sync-state)[.]ts$',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist)' },
  },
};
