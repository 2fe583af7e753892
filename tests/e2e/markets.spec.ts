/**
 * Data from the UI, on the production build while the server runs: a trader uploads a candle CSV on
 * /markets and the market list shows the new stream with its first and last candle and count; a file
 * with a bad line is refused whole, the page names the line and field as the CLI import does, and
 * nothing is stored; a download from an exchange this machine cannot reach (or a market it does not
 * list) ends failed with the reason and stores nothing; a viewer sees the list but no forms.
 *
 * Data: real Binance SOL/USDT daily candles from the shared data folder (/work/shared/data, or
 * AETHELRED_SHARED_DATA; see its README: 250 rows, 2024-01-01 .. 2024-09-06, no gap). When the folder
 * is missing, the spec says so and uploads synthetic candles on the same 250 days instead. SOL/USDT
 * sorts after BTC/USDT, so the chart's default market (which later specs check) stays the same.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { signIn } from './sign-in';

test.describe.configure({ mode: 'serial' });

const DAY_MS = 86_400_000;
const FIRST_MS = Date.UTC(2024, 0, 1);
const ROWS = 250;
const SHARED = process.env.AETHELRED_SHARED_DATA ?? path.resolve('../shared/data');
const REAL_FILE = path.join(SHARED, 'binance_SOL-USDT_1d.csv');

/** The candle file to upload: the real one, or synthetic candles on the same days when the shared folder is missing. */
function candleFile(): string {
  if (fs.existsSync(REAL_FILE)) return REAL_FILE;
  console.log(`markets.spec: ${REAL_FILE} not found (shared data folder missing); uploading ${ROWS} synthetic daily candles instead`);
  const lines = ['timestamp_ms,open,high,low,close,volume'];
  for (let i = 0; i < ROWS; i++) lines.push(`${FIRST_MS + i * DAY_MS},${100 + i},${102 + i},${99 + i},${101 + i},${10 + i}`);
  const file = path.resolve('test-results/markets-synthetic-1d.csv');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

test('a trader uploads a candle CSV and the markets page lists it with its first, last and count', async ({ page }) => {
  await signIn(page, 'trader', '/markets');
  await expect(page.getByRole('heading', { name: 'Markets', level: 1 })).toBeVisible();
  await expect(page.locator('[data-market="binance SOL/USDT 1d"]')).toHaveCount(0);
  const upload = page.getByTestId('candle-upload');
  await upload.getByLabel('CSV file').setInputFiles(candleFile());
  await upload.getByLabel('Exchange').fill('binance');
  await upload.getByLabel('Symbol').fill('SOL/USDT');
  await upload.getByLabel('Timeframe').selectOption('1d');
  await upload.getByRole('button', { name: 'Upload and import' }).click();
  await expect(page.getByTestId('upload-result')).toContainText(`${ROWS} candles read, ${ROWS} new, into binance SOL/USDT 1d`);
  const row = page.locator('[data-market="binance SOL/USDT 1d"]');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('market-first')).toHaveText('2024-01-01 00:00');
  await expect(row.getByTestId('market-last')).toHaveText('2024-09-06 00:00');
  await expect(row.getByTestId('market-count')).toHaveText(String(ROWS));
  await expect(row.getByTestId('market-missing')).toHaveText('none');
  await expect(row.getByRole('link', { name: 'Chart' })).toHaveAttribute('href', `/chart?stream=${encodeURIComponent('binance|SOL/USDT|1d')}`);
  await page.screenshot({ path: 'test-results/screenshots/markets-after-upload.png', fullPage: true });

  // Uploading the same file again stores nothing new.
  await upload.getByLabel('CSV file').setInputFiles(candleFile());
  await upload.getByLabel('Symbol').fill('SOL/USDT');
  await upload.getByLabel('Timeframe').selectOption('1d');
  await upload.getByRole('button', { name: 'Upload and import' }).click();
  await expect(page.getByTestId('upload-result')).toContainText(`${ROWS} candles read, 0 new`);
  await expect(row.getByTestId('market-count')).toHaveText(String(ROWS));

  // The chart link opens that market.
  await row.getByRole('link', { name: 'Chart' }).click();
  await expect(page.getByTestId('chart-picker').locator('select[name="stream"]')).toHaveValue('binance|SOL/USDT|1d');
});

test('a file with a bad line is refused whole: the page names the line and field, and nothing is stored', async ({ page }) => {
  await signIn(page, 'trader', '/markets');
  const lines = fs.readFileSync(candleFile(), 'utf8').split('\n').slice(0, 10);
  // Line 7 (the header is line 1): the high price is not a number.
  const fields = lines[6].split(',');
  fields[2] = 'abc';
  lines[6] = fields.join(',');
  const upload = page.getByTestId('candle-upload');
  await upload.getByLabel('CSV file').setInputFiles({ name: 'bad-daily.csv', mimeType: 'text/csv', buffer: Buffer.from(`${lines.join('\n')}\n`) });
  await upload.getByLabel('Exchange').fill('binance');
  await upload.getByLabel('Symbol').fill('ADA/USDT');
  await upload.getByLabel('Timeframe').selectOption('1d');
  await upload.getByRole('button', { name: 'Upload and import' }).click();
  await expect(page.getByTestId('upload-error')).toContainText('The file was refused; nothing was imported.');
  await expect(page.getByTestId('upload-error-line')).toHaveText('bad-daily.csv:7: field "high" was "abc": not a number');
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Markets', level: 1 })).toBeVisible();
  await expect(page.locator('[data-market="binance ADA/USDT 1d"]')).toHaveCount(0);
  const stored = (await (await page.request.get('/api/v1/markets')).json()) as { items: { symbol: string }[] };
  expect(stored.items.filter((m) => m.symbol === 'ADA/USDT')).toEqual([]);
});

test('a download that cannot complete ends failed with a readable reason and stores nothing', async ({ page }) => {
  await signIn(page, 'trader', '/markets');
  const form = page.getByTestId('candle-download');
  await form.getByLabel('Exchange').selectOption('binance');
  await form.getByLabel('Symbol').fill('ZZZNOPE/USDT');
  await form.getByLabel('Timeframe').selectOption('1h');
  await form.getByLabel('Since').fill('2024-01-01');
  await form.getByRole('button', { name: 'Queue download' }).click();
  const row = page.getByTestId('download-row').filter({ hasText: 'binance ZZZNOPE/USDT 1h' }).first();
  await expect(row).toContainText('failed', { timeout: 45_000 });
  // Without internet the venue cannot be reached; with it, the market is not listed. Either way, a reason.
  await expect(row.getByTestId('download-outcome')).toHaveText(/^downloading binance ZZZNOPE\/USDT 1h failed: (cannot reach binance .*check the network, or upload a CSV file on the Markets page|instrument "ZZZNOPE\/USDT" is not listed on binance spot)$/);
  await expect(page.locator('[data-market="binance ZZZNOPE/USDT 1h"]')).toHaveCount(0);
  const tickets = (await (await page.request.get('/api/tickets?kind=download-candles&limit=10')).json()) as { items: { status: string; attempts: number }[] };
  expect(tickets.items.filter((t) => t.status === 'running' || t.status === 'queued')).toEqual([]);
  expect(tickets.items[0].attempts).toBe(1);
});

test('a viewer sees the stored markets but neither the upload nor the download form', async ({ page }) => {
  await signIn(page, 'viewer', '/markets');
  await expect(page.locator('[data-market="binance SOL/USDT 1d"]')).toHaveCount(1);
  await expect(page.getByTestId('candle-upload')).toHaveCount(0);
  await expect(page.getByTestId('candle-download')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Markets' })).toHaveAttribute('aria-current', 'page');
});
