// typescript-eslint's recommended rules over the sources, tests, benchmarks and examples (formatting is Prettier's).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'build/**',
      'node_modules/**',
      'runs/**',
      'datasets/**',
      'demo/**',
      'test-artifacts/**',
      'bench/.scratch*/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['web/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a value taken apart on purpose (e.g. dropped from a config before validation)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
);
