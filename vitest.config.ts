import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Renderer component tests import .vue files (they pick happy-dom per file).
  plugins: [vue()],
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests create network namespaces and spawn helpers; keep them from racing.
    fileParallelism: true,
    pool: 'forks',
    // Lets tests/run.mjs find each skipped test's skip condition in the source.
    includeTaskLocation: true,
  },
});
