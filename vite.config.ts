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
    // One jsdom and one module graph per worker, not per file: 51 s → 29 s. Every file removes
    // what it rendered and its IPC mocks after each test (cleanup, clearMocks); the suite also
    // passes with its files shuffled (--sequence.shuffle.files).
    isolate: false,
  },
});
