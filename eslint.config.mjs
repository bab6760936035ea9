// One lint for the whole repository: typescript-eslint's type-checked recommended rules on every
// TypeScript file (sources, tests, tools, the console), the plain recommended rules on the few
// JavaScript files. Formatting is Prettier's job (pnpm format), so no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/coverage/**', '.tmp/**', 'models/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        // Tests are not in the packages' build tsconfigs; tsconfig.tests.json holds them (and src).
        project: ['./tsconfig.tests.json', './tools/tsconfig.json', './apps/console/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `_name` marks a parameter kept for its position (an interface's signature, Express's handler).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Off: `async` without `await` is how an in-memory implementation (MemoryQueue, the fakes)
      // keeps a Promise-returning interface, and it turns a throw into a rejection, which is what
      // callers' `.catch()` expects; dropping `async` would let a synchronous throw escape.
      '@typescript-eslint/require-await': 'off',
      // Passing on an AbortSignal's reason (typed `any`) is how an aborted wait rejects; the reason is
      // the caller's own choice of error. Everything else must reject with an Error.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
    },
  },
  {
    files: ['apps/console/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser, ...globals.serviceworker } },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/test-support/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
    rules: {
      // Tests read HTTP answers (supertest's `res.body`, `await res.json()`), which are `any` by design,
      // and the point of the test is the `expect` that checks their shape at run time; typing each
      // answer first would restate the OpenAPI schema in every test. Sources keep these rules.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Fakes are async generators that fail before their first frame: no yield is the point.
      'require-yield': 'off',
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node, ...globals.jest } },
    rules: { '@typescript-eslint/no-require-imports': 'off' }, // CommonJS files: require is how they import
  },
);
