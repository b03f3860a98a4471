import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import prettier from 'eslint-config-prettier';

// Every "now" comes from an injected Clock (src/shared/clock.ts, the wall clock's only reader): code and tests
// that read the wall clock pass on the day they are written and fail on another (SPEC §10 is tested on any day).
const clockRules = [
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'Read the time from an injected Clock (src/shared/clock.ts), not new Date().',
  },
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message:
      'Read the time from an injected Clock (src/shared/clock.ts), not Date.now(); durations: performance.now().',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-bench/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      'test-artifacts/**',
      'bin/**',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', ...clockRules],
    },
  },
  {
    // Functions a reader takes in at once: the server's longest is held under 120 lines (issue 22).
    files: ['src/server/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 120, skipBlankLines: false, skipComments: false }] },
  },
  {
    // The pane's routes and the CLI's commands reach the sync use cases through runtime.sync (src/server/services),
    // never the engine, the run lease or the queue below it (imports: .dependency-cruiser.cjs, same rule name).
    files: ['src/server/http/handlers/**/*.ts', 'src/server/cli/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...clockRules,
        {
          selector: 'MemberExpression[property.name=/^(engine|runs|queue|syncState)$/][object.name=/^(runtime|rt)$/]',
          message: 'entry-points-use-services: call the use case in runtime.sync (src/server/services) instead.',
        },
      ],
    },
  },
  {
    // The engine stays readable function by function (issue 22: the planner was one 308-line method).
    files: ['src/sync/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 120 }] },
  },
  {
    files: ['src/addin/**/*.tsx', 'src/addin/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
        URL: 'readonly',
        setTimeout: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
