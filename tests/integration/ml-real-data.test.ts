/**
 * The intent-veto model on real candles: binance BTC/USDT 1h (2024-01-01 .. 2024-09-06, 5980 rows,
 * see the shared data README) from /work/shared/data, or AETHELRED_SHARED_DATA. When the data set is
 * absent the test prints one plain line saying so and checks nothing else.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../engine/core/clock';
import { parseCandleCsv } from '../../engine/market/candle-csv';
import { createInMemoryModelRepository } from '../../engine/ml/in-memory-model-repository';
import { createFsModelFileStore } from '../../engine/ml/model-file-store';
import { createModelRegistry } from '../../engine/ml/model-registry';
import { createTrainHandlers } from '../../engine/ml/train-handlers';
import { createInMemoryCandleRepository } from '../../engine/testing/in-memory-repositories';
import { sharedDataDir, sharedDataFile } from '../support/ml-candles';

const FILE = 'binance_BTC-USDT_1h.csv';
const MARKET = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' as const };

describe('intent veto on real BTC/USDT 1h candles', () => {
  it('reports finite walk-forward validation AUC and log loss, and no fold trains on data after its validation window opens', async () => {
    const file = sharedDataFile(FILE);
    if (!file) {
      console.log(`ml-real-data: ${FILE} not found under ${sharedDataDir() ?? process.env.AETHELRED_SHARED_DATA ?? '/work/shared/data'}; nothing to check`);
      return;
    }
    const { columns } = await parseCandleCsv(file, '1h');
    const candles = createInMemoryCandleRepository();
    await candles.insertCandles(MARKET, columns);
    const dir = mkdtempSync(path.join(tmpdir(), 'aethelred-real-'));
    let t = 0;
    const repository = createInMemoryModelRepository({ clock: { nowMs: () => ++t } });
    const store = createFsModelFileStore(dir);
    const registry = createModelRegistry({ repository, store, logger: silentLogger });
    try {
      const handlers = createTrainHandlers({ candles, repository, store, registry, newId: () => 'real-1' });
      const result = await handlers['train-intent-veto'](
        { ...MARKET, from: '2024-01-01', to: '2024-09-07', horizon: 24, folds: 5, seed: 42 },
        { ticketId: 'real', reportProgress: async () => undefined, signal: new AbortController().signal, logger: silentLogger },
      );
      const { auc, logLoss, baselineLogLoss, positiveRate, validationRows } = result.metrics;
      console.log(
        `ml-real-data: intent-veto on ${FILE}: ${result.rows} rows, ${validationRows} out-of-sample over ${result.folds.length} walk-forward folds; ` +
          `AUC ${auc.toFixed(4)}, log loss ${logLoss.toFixed(4)} (base-rate baseline ${baselineLogLoss.toFixed(4)}), loss rate ${positiveRate.toFixed(3)}`,
      );
      expect(result.rows).toBe(2 * (columns.length - 24 - 49));
      expect(Number.isFinite(auc) && Number.isFinite(logLoss)).toBe(true);
      expect(auc).toBeGreaterThanOrEqual(0);
      expect(auc).toBeLessThanOrEqual(1);
      expect(logLoss).toBeGreaterThan(0);
      expect(result.folds).toHaveLength(5);
      for (const [j, fold] of result.folds.entries()) {
        expect(fold.trainToMs).toBeLessThanOrEqual(fold.validationFromMs);
        expect(fold.trainFromMs).toBeLessThan(fold.validationFromMs);
        expect(fold.validationFromMs).toBeLessThanOrEqual(fold.validationToMs);
        if (j > 0) expect(fold.validationFromMs).toBeGreaterThan(result.folds[j - 1].validationToMs);
      }
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
