// ESLint (flat config) with typescript-eslint. Formatting is prettier's (`npm run format`):
// eslint-config-prettier turns off the rules that would disagree with it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'fetch',
    'performance',
    'AbortController',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    '__dirname',
    '__filename',
    'require',
    'module',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: nodeGlobals },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // NUL and control characters are matched on purpose: bad input is refused by them, log lines are cleaned of them
      'no-control-regex': 'off',
    },
  },
  // the operators' console runs in the browser (apps/gateway/src/console): a module with the DOM's globals, not Node's
  {
    files: ['apps/gateway/src/console/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['document', 'sessionStorage', 'fetch', 'FormData', 'URLSearchParams', 'Node', 'console'].map((n) => [
          n,
          'readonly',
        ]),
      ),
    },
  },
  // CommonJS scripts (the lockfile patcher, test stand-ins) require() by nature
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  prettier,
);
