import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests: a production build (`next build` + `next start`) driven by Debian's chromium.
 * The server's port is E2E_PORT, or a free one global setup picks and puts in `process.env.E2E_PORT`:
 * Playwright starts its workers after global setup with that environment, and each worker evaluates
 * this file again, so `baseURL` below carries the picked port there (the main process never navigates).
 */
const port = process.env.E2E_PORT;

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 60_000,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e-results.json' }]],
  globalSetup: './tests/e2e/global-setup.ts',
  globalTeardown: './tests/e2e/global-teardown.ts',
  outputDir: 'test-results/e2e-artifacts',
  use: {
    baseURL: port === undefined ? undefined : `http://127.0.0.1:${port}`,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
});
