import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', NodeJS: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Configuration comes from the one validated config object (src/platform/config.ts), never from process.env.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings from the Config object (src/platform/config.ts).' }],
    },
  },
  {
    // Process entry points and test/bench tooling (the harness included) are where the environment is read.
    files: ['src/main.ts', 'src/telemetry.ts', 'src/binary.ts', 'src/bundle.ts', 'src/testing.ts', 'src/platform/testing/**', 'test/**', 'scripts/**', 'bench/**', '**/*.test.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The Node version preflight: CommonJS with nothing newer than ES5, so that any Node can parse it.
    files: ['scripts/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', ecmaVersion: 5, globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-var': 'off' },
  },
  {
    // CI's helpers in CommonJS, run by the Node CI put on the PATH.
    files: ['.ci/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
