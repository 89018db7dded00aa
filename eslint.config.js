// Lint: ESLint's recommended rules plus typescript-eslint's type-checked set; promise misuse is an
// error everywhere because every bug of that kind here leaves a transaction or a world hanging.

import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**', 'test-results/**', 'renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The renderer is a web page: browser globals only, and nothing from Node or Electron reaches it
    // except through window.vespera (preload/contract.ts is shared as types and plain values).
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'electron', 'electron/*'], message: 'The renderer sees only window.vespera.' }] }],
    },
  },
  {
    // Tests, tools and the world harness talk to people through the console on purpose.
    files: ['test/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
