import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { compareLiveToBacktest, type DriftTrade } from '@/engine/insight/live-drift';
import { DriftProblem, DriftReportView } from './drift-report';

const TF = 300_000;
const T0 = Date.UTC(2024, 0, 1);
const trade = (over: Partial<DriftTrade>): DriftTrade => ({
  side: 'long',
  amount: 1,
  entryPrice: 100,
  exitPrice: 110,
  entryTimeMs: T0,
  exitTimeMs: T0 + 2 * TF,
  realizedPnl: 10,
  fees: 0.2,
  funding: 0,
  ...over,
});

describe('DriftReportView', () => {
  it('shows totals per cause with their sum, and each matched trade with live and replay prices', () => {
    // Matched: live entered at 101 (-1) one candle late, fees 0.3 (-0.1). Only the replay: net 5 - 0.1 = 4.9 (timing -4.9).
    const report = compareLiveToBacktest(
      [trade({ entryPrice: 101, realizedPnl: 9, fees: 0.3, entryTimeMs: T0 + TF })],
      [trade({}), trade({ entryTimeMs: T0 + 20 * TF, exitTimeMs: T0 + 22 * TF, realizedPnl: 5, fees: 0.1 })],
      TF,
    );
    const html = renderToStaticMarkup(createElement(DriftReportView, { report }));
    expect(html).toContain('<caption class="sr-only">PnL difference per cause, live minus replay, in quote currency</caption>');
    expect(html).toMatch(/data-testid="drift-cause-entryFill" data-amount="-1"><th scope="row">Entry fill<\/th><td class="num neg">-1<\/td>/);
    expect(html).toMatch(/data-testid="drift-cause-fees"[^>]*><th scope="row">Fees<\/th><td class="num neg">-0.1<\/td>/);
    expect(html).toMatch(/data-testid="drift-cause-timing" data-amount="-4.9"><th scope="row">Timing<\/th><td class="num neg">-4.9<\/td>/);
    expect(html).not.toContain('drift-cause-size');
    // -1 - 0.1 - 4.9 = -6
    expect(html).toMatch(/data-testid="drift-cause-total"[^>]*><th scope="row">Net PnL difference<\/th><td class="num neg"><strong>-6<\/strong>/);
    expect(html).toContain('<td class="nowrap">2024-01-01 00:05:00Z</td><td>long</td><td class="num">1</td><td class="num">101.000 / 100.000</td><td class="num">110.000 / 110.000</td>');
    expect(html).toContain('<td class="num">+300 s</td>');
    expect(html).toContain('data-where="replay only"><td>replay only</td><td class="nowrap">2024-01-01 01:40:00Z</td>');
    expect(html).not.toContain('drift-empty');
    // Each table scrolls sideways in its own named, focusable region (reachable from the keyboard at 390 px).
    expect(html.match(/<div class="table-wrap[^"]*" role="region" aria-label="[^"]+" tabindex="0">/g)).toEqual([
      '<div class="table-wrap" role="region" aria-label="Drift per cause" tabindex="0">',
      '<div class="table-wrap table-wide" role="region" aria-label="Matched trades" tabindex="0">',
      '<div class="table-wrap table-wide" role="region" aria-label="Trades only one side made" tabindex="0">',
    ]);
  });

  it('shows amounts that are zero or float noise as a plain 0, never -0', () => {
    // A short filled exactly like the replay: exit fill is -1 x 0 x 1 = -0; fees differ by float noise only.
    const report = compareLiveToBacktest([trade({ side: 'short', fees: 0.1 + 0.2 })], [trade({ side: 'short', fees: 0.3 })], TF);
    expect(Object.is(report.rows[0].exitFill, -0)).toBe(true);
    const html = renderToStaticMarkup(createElement(DriftReportView, { report }));
    expect(html).toMatch(/data-testid="drift-cause-exitFill"[^>]*><th scope="row">Exit fill<\/th><td class="num">0<\/td>/);
    expect(html).toMatch(/data-testid="drift-cause-fees"[^>]*><th scope="row">Fees<\/th><td class="num">0<\/td>/);
    expect(html).not.toContain('-0<');
  });

  it('shows the empty state when the session has made no trades', () => {
    const html = renderToStaticMarkup(createElement(DriftReportView, { report: compareLiveToBacktest([], [], TF) }));
    expect(html).toContain('data-testid="drift-empty">This session has made no trades yet, and the replay made none either: nothing to compare.</p>');
    expect(html).not.toContain('drift-trades');
    expect(html).toMatch(/data-testid="drift-cause-total" data-amount="0"><th scope="row">Net PnL difference<\/th><td class="num"><strong>0<\/strong>/);
  });
});

describe('DriftProblem', () => {
  it('shows the message and the download command when candles are missing', () => {
    const html = renderToStaticMarkup(
      createElement(DriftProblem, {
        message: 'field "sessionId" was "live:binance:BTC/USDT:5m": stored binance BTC/USDT 5m candles do not cover the session (...); download them first with download-candles',
        market: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' },
        startedAtMs: Date.UTC(2024, 2, 5, 13),
      }),
    );
    expect(html).toContain('role="alert"');
    expect(html).toContain('download them first with download-candles</p>');
    expect(html).toContain('npm run cli -- download-candles --exchange binance --symbol BTC/USDT --timeframe 5m --since 2024-03-05</code>');
  });

  it('shows no command for a problem other than missing candles', () => {
    const html = renderToStaticMarkup(createElement(DriftProblem, { message: 'the session has not processed a candle yet', market: { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, startedAtMs: null }));
    expect(html).toContain('<p>the session has not processed a candle yet</p>');
    expect(html).not.toContain('download-command');
  });
});
