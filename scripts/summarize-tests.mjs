// Sums every suite the test script ran into one closing line: "N passed, N failed, N skipped".
import fs from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const read = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null);

const checks = fs.existsSync('test-results/checks.txt') ? fs.readFileSync('test-results/checks.txt', 'utf8').trim().split('\n').filter(Boolean) : [];
for (const line of checks) line.startsWith('pass ') ? passed++ : failed++;

const vitest = read('test-results/vitest.json');
if (vitest) {
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests + (vitest.numFailedTestSuites ?? 0);
  skipped += vitest.numPendingTests + (vitest.numTodoTests ?? 0);
} else {
  console.log('vitest wrote no results');
  failed++;
}

const e2e = read('test-results/e2e-results.json');
if (e2e) {
  passed += e2e.stats.expected;
  failed += e2e.stats.unexpected + e2e.stats.flaky;
  skipped += e2e.stats.skipped;
  for (const error of e2e.errors ?? []) {
    console.log(`playwright error: ${error.message}`);
    failed++;
  }
} else {
  console.log('playwright wrote no results');
  failed++;
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
