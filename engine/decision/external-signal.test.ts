/**
 * An external alert is its account's: it is handed to that account's session of the market alone, the account's halt
 * (not the default account's) decides whether it is denied, and its decision carries the account.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger, type Clock } from '../core/clock';
import { candleColumnsFromRows } from '../core/types';
import { ValidationError } from '../core/errors';
import { createJournalWriter } from '../journal/journal-writer';
import { createInMemoryCandleRepository, createInMemoryJournalRepository, createInMemoryRiskStateRepository } from '../testing/in-memory-repositories';
import { submitExternalSignal, type ExternalSignal } from './external-signal';

const T0 = Date.UTC(2024, 0, 1);
const NOW = T0 + 3_600_000;

async function setup() {
  const candles = createInMemoryCandleRepository();
  await candles.insertCandles({ exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m' }, candleColumnsFromRows([{ openTimeMs: T0, open: 100, high: 101, low: 99, close: 100, volume: 5 }]));
  const riskState = createInMemoryRiskStateRepository();
  const repository = createInMemoryJournalRepository();
  const journal = createJournalWriter({ batchSize: 100 }, { repository, logger: silentLogger });
  const routed: { accountId: string; symbol: string }[] = [];
  const sessions: Record<string, string> = { default: 'live:binance:BTC/USDT:5m', desk: 'paper:desk:binance:BTC/USDT:5m' };
  const clock: Clock = { nowMs: () => NOW };
  let id = 0;
  const halt = (accountId: string, reason: string) =>
    riskState.save({ accountId, halted: true, haltReason: reason, haltedAtMs: T0, dayStartEquity: 10_000, dayStartMs: T0, peakEquity: 10_000, updatedAtMs: T0 });
  const submit = (signal: Partial<ExternalSignal>) =>
    submitExternalSignal(
      { symbol: 'BTCUSDT', side: 'long', strategy: 'tv-breakout', source: 'webhook:w1', strength: 0.8, ...signal },
      {
        candles,
        riskState,
        journal,
        clock,
        newId: () => `d-${++id}`,
        route: (alert) => {
          routed.push({ accountId: alert.accountId, symbol: alert.symbol });
          return sessions[alert.accountId] ?? null;
        },
        accountExists: async (accountId) => accountId in sessions || accountId === 'idle',
      },
    );
  return { submit, halt, routed, repository };
}

describe('external signals', () => {
  it("go to the default account's session when they name no account, and carry that account", async () => {
    const { submit, routed, repository } = await setup();
    const result = await submit({});
    expect(result).toEqual({
      decisionId: 'd-1',
      outcome: 'signal',
      reason: 'external signal handed to live session live:binance:BTC/USDT:5m: it acts at the next candle close through fusion, the veto and the risk gate',
      denialCode: null,
    });
    expect(routed).toEqual([{ accountId: 'default', symbol: 'BTC/USDT' }]);
    expect(repository.decisions).toEqual([
      expect.objectContaining({ id: 'd-1', runId: null, accountId: 'default', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', outcome: 'signal', side: 'long', strength: 0.8, timeMs: NOW }),
    ]);
  });

  it("go to the named account's session and are judged by its halt, not the default account's", async () => {
    const { submit, halt, routed, repository } = await setup();
    await halt('default', 'manual: default paused');
    const handed = await submit({ account: 'desk' });
    expect(handed).toMatchObject({ outcome: 'signal', reason: expect.stringContaining('handed to live session paper:desk:binance:BTC/USDT:5m'), denialCode: null });
    expect(routed).toEqual([{ accountId: 'desk', symbol: 'BTC/USDT' }]);
    // The default account's own alert is denied by its halt and handed to nobody.
    expect(await submit({})).toMatchObject({ outcome: 'denied', reason: 'trading is halted: manual: default paused', denialCode: 'halted' });
    expect(routed).toHaveLength(1);
    await halt('desk', 'manual: desk paused');
    expect(await submit({ account: 'desk' })).toMatchObject({ outcome: 'denied', reason: 'trading is halted: manual: desk paused', denialCode: 'halted' });
    expect(repository.decisions.map((d) => [d.accountId, d.outcome])).toEqual([
      ['desk', 'signal'],
      ['default', 'denied'],
      ['desk', 'denied'],
    ]);
  });

  it("say when the named account runs no session of the market, and deny one of an account that does not exist", async () => {
    const { submit, routed, repository } = await setup();
    expect(await submit({ account: 'idle' })).toMatchObject({ outcome: 'signal', reason: 'external signal recorded; no live session of account "idle" trades BTC/USDT, so nothing acts on it' });
    const ghost = await submit({ account: 'ghost' });
    expect(ghost).toEqual({ decisionId: 'd-2', outcome: 'denied', reason: 'account "ghost" does not exist: name an account listed on /accounts (or none, for "default")', denialCode: 'other' });
    expect(routed).toEqual([{ accountId: 'idle', symbol: 'BTC/USDT' }]);
    // The denied alert is journaled as no account's row, naming the account it gave.
    const row = repository.decisions.find((d) => d.id === 'd-2');
    expect(row?.accountId).toBeUndefined();
    expect(row?.inputs).toEqual({ source: 'webhook:w1', price: null, external: true, account: 'ghost' });
  });

  it('refuse a malformed account id naming the field, and journal nothing', async () => {
    const { submit, repository } = await setup();
    const error = await submit({ account: 'Swing Desk' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'account', value: 'Swing Desk' });
    expect(repository.decisions).toEqual([]);
  });
});
