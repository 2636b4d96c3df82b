import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  root: 'ui',
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: ['es2022', 'safari16'],
  },
  // Svelte's client build under jsdom, not its server build.
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    root: '.',
    include: ['ui/tests/**/*.test.ts'],
    environment: 'jsdom',
  },
});
