import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

// The console's page, built into dist/console and served by the app under /console/ (src/platform/console/).
export default defineConfig({
  root: here,
  base: '/console/',
  // No public/ folder, no dev-server-only features: the build is all there is.
  publicDir: false,
  build: {
    outDir: path.join(here, '..', 'dist', 'console'),
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle; source maps help an operator report a bug in it.
    sourcemap: true,
    // The strict CSP allows no inline script; keep the module preload polyfill out of the page.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});
