// ESLint: typescript-eslint's strict rules on the TypeScript (façade, tests), ESLint's recommended
// rules on the plain JavaScript (bench, scripts, examples). A disable comment that no longer
// suppresses anything is itself an error, so each one that stays means something.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'target/', 'node_modules/', 'pack/', 'npm/', 'bench/results/', 'ts/native/binding.d.ts'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    files: ['**/*.{js,cjs,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node }, sourceType: 'commonjs' },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
  {
    files: ['**/*.{ts,mts,cts}'],
    extends: [js.configs.recommended, ...tseslint.configs.strict],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // tsconfig's noUncheckedIndexedAccess types every array and typed-array element as possibly
      // undefined; where an index is in range by construction (the hot paths' loops), `!` says so
      // without a runtime check, and a check here would be dead code on the hot path.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A leading underscore marks a parameter a signature needs and a body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
);
