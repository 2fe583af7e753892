import { defineConfig } from 'vitest/config';
import path from 'node:path';

export default defineConfig({
  resolve: {
    alias: {
      '@': path.resolve(import.meta.dirname),
      // What strategy files import (the server binds it the same way, see app/_server/jiti-strategy-importer.ts).
      'aethelred/strategy': path.resolve(import.meta.dirname, 'engine/strategies/strategy-api.ts'),
    },
  },
  test: {
    include: ['engine/**/*.test.ts', 'db/**/*.test.ts', 'inngest/**/*.test.ts', 'app/**/*.test.ts', 'scripts/**/*.test.ts', 'tests/**/*.test.ts', 'strategies/**/*.test.ts'],
    exclude: ['node_modules', '.next', 'tests/e2e/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
