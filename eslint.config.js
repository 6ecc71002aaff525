import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.vigil/', 'coverage/', 'bench/.compiled/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Drill verification scripts and config files run under Node.
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use a union or an as-const object instead of an enum.' }],
    },
  },
  {
    // Only src/sandbox/ may know the sandbox exists (see STYLE.md).
    files: ['src/**/*.ts'],
    ignores: ['src/sandbox/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/sandbox/**', '**/sandbox/*'], message: 'Only the CLI wires the sandbox in; nothing else may know it exists.' }] }],
    },
  },
);
