/** Reading a run's trades and the price chart's markers in e2e specs (the chart canvas itself is not inspectable). */
import { expect, type Page } from '@playwright/test';
import type { TradeRecord } from '../../engine/ports/journal';

/** The run's trades as the journal API gives them. */
export async function runTrades(page: Page, id: string): Promise<TradeRecord[]> {
  const response = await page.request.get(`/api/trades?run=${encodeURIComponent(id)}&limit=1000`);
  expect(response.status()).toBe(200);
  return ((await response.json()) as { items: TradeRecord[] }).items;
}

/** Marker kinds by time (ms) from the chart's marker list. */
export async function markerTimes(page: Page): Promise<Map<number, string[]>> {
  const items = await page.getByTestId('chart-marker').evaluateAll((els) => els.map((el) => [Number(el.getAttribute('data-time')), el.getAttribute('data-kind') ?? ''] as const));
  const out = new Map<number, string[]>();
  for (const [time, kind] of items) out.set(time, [...(out.get(time) ?? []), kind]);
  return out;
}

/** Waits until the chart lists an entry and an exit (or stop) marker for every trade, then checks each trade's times. */
export async function expectTradeMarkers(page: Page, trades: readonly TradeRecord[]): Promise<void> {
  await expect.poll(async () => [...(await markerTimes(page)).values()].flat().filter((k) => k === 'entry' || k === 'exit' || k === 'stop').length).toBe(2 * trades.length);
  const markers = await markerTimes(page);
  for (const t of trades) {
    expect(markers.get(t.entryTimeMs), `entry of ${t.id}`).toContain('entry');
    expect(markers.get(t.exitTimeMs)?.some((k) => k === 'exit' || k === 'stop'), `exit of ${t.id}`).toBe(true);
  }
}
