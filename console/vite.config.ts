/**
 * Build of the web console and the preference centre: `npm run build:console` writes console/dist,
 * which the node serves under /console/ and /preferences (api/plugins/console-pages.ts). Assets get
 * content hashes, so the node can cache them for good; nothing is inlined into the HTML, so the
 * pages run under a CSP without 'unsafe-inline'.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  logLevel: 'warn',
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1_500,
    rollupOptions: { input: { index: here('index.html'), preferences: here('preferences.html') } },
  },
});
