/**
 * Real-venue trading is guarded twice: an admin must enable it for the exchange AND its API keys
 * must be stored. Until both hold, a live-trading session is refused with what is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthTestRoot, type AuthTestRoot } from '../support/auth-test-root';

let app: AuthTestRoot;
beforeAll(async () => {
  app = await createAuthTestRoot();
}, 60_000);
afterAll(async () => app?.close());

const request = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '5m', strategies: ['ma-crossover'], liveTrading: true };

describe('live trading on a real venue', () => {
  it('is refused until an admin enables it and then until keys are stored, and nothing is stored meanwhile', async () => {
    const notEnabled = (await app.root.engine.startLiveSession(request).catch((e: unknown) => e)) as Error;
    expect(notEnabled.message).toBe('field "liveTrading" was true: live trading on "binance" is not enabled; an admin enables it on the credentials page');

    expect(await app.root.liveTrading.setEnabled('binance', true, 'admin@test')).toBe(false);
    expect(await app.root.liveTrading.isEnabled('binance')).toBe(true);
    const noKeys = (await app.root.engine.startLiveSession(request).catch((e: unknown) => e)) as Error;
    expect(noKeys.message).toBe('field "liveTrading" was true: no API keys are stored for "binance"; an admin adds them on the credentials page');

    expect(await app.root.engine.listLiveSessions()).toEqual([]);
    expect(await app.root.liveTrading.setEnabled('binance', false, 'admin@test')).toBe(true);
  });
});
