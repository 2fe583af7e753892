/**
 * Real-venue trading is guarded twice: an admin must enable it for the exchange AND its API keys
 * must be stored. Until both hold, no venue account can be linked (and without one, no live session
 * starts); each refusal says what is missing.
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
    // A live session trades the venue account of its exchange; there is none yet.
    const noAccount = (await app.root.engine.startLiveSession(request).catch((e: unknown) => e)) as Error;
    expect(noAccount.message).toBe(
      'field "accountId" was undefined: a live session trades a venue account and "binance" has none: an admin stores its API keys, enables live trading and creates one (POST /api/v1/accounts with kind "venue")',
    );
    // Linking the venue account is what needs the keys and the enablement.
    const link = { id: 'binance-keys', kind: 'venue', venue: 'binance', name: 'Binance keys' };
    const notEnabled = (await app.root.engine.accounts.create(link, 'admin@test').catch((e: unknown) => e)) as Error;
    expect(notEnabled.message).toBe('field "venue" was "binance": live trading on "binance" is not enabled; an admin enables it on the credentials page');

    expect(await app.root.liveTrading.setEnabled('binance', true, 'admin@test')).toBe(false);
    expect(await app.root.liveTrading.isEnabled('binance')).toBe(true);
    const noKeys = (await app.root.engine.accounts.create(link, 'admin@test').catch((e: unknown) => e)) as Error;
    expect(noKeys.message).toBe('field "venue" was "binance": no API keys are stored for "binance"; an admin adds them on the credentials page');
    const unknownVenue = (await app.root.engine.accounts.create({ ...link, venue: 'kraken' }, 'admin@test').catch((e: unknown) => e)) as Error;
    expect(unknownVenue.message).toBe('field "venue" was "kraken": expected one of "binance", "binanceusdm", "bybit"');

    expect(await app.root.engine.listLiveSessions()).toEqual([]);
    expect((await app.root.engine.accounts.list()).map((a) => a.id)).toEqual(['default']);
    expect(await app.root.liveTrading.setEnabled('binance', false, 'admin@test')).toBe(true);
  });
});
