// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'migrations/**', 'coverage/**', '.lipa/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
    },
  },
  { files: ['test/**/*.ts', 'bench/**/*.ts'], rules: { 'no-console': 'off' } },
  { files: ['bench/run.ts'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['test/helpers/stub-lender.ts'], rules: { '@typescript-eslint/no-this-alias': 'off' } },
  { files: ['bin/**/*.js', 'scripts/**/*.js', 'bench/**/*.js', '*.js'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', Buffer: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
