import { describe, expect, it } from 'vitest';
import type { Order } from '../ports/exchange';
import { planVenueReconciliation } from './venue-reconciliation';

const P = 'ls-0a1b2c3d';
const order = (id: string, clientOrderId: string, createdAtMs: number, symbol = 'BTC/USDT'): Order => ({
  id, clientOrderId, symbol, side: 'sell', type: 'stop', status: 'new', amount: 1, filled: 0, price: null, stopPrice: 90,
  averagePrice: NaN, fee: 0, reduceOnly: true, createdAtMs, updatedAtMs: createdAtMs, reason: null,
});
const ids = (orders: readonly Order[]) => orders.map((o) => o.id);

describe('planVenueReconciliation', () => {
  it('keeps the tracked stop when it is still open, even when a newer own stop exists, and cancels the newer one', () => {
    const plan = planVenueReconciliation({
      openOrders: [order('1', `${P}-stop-1000`, 1_000), order('2', `${P}-trail-2000`, 2_000)],
      symbol: 'BTC/USDT', clientIdPrefix: P, position: { stopOrderId: '1' }, policy: 'adopt',
    });
    expect(plan.adoptedStop?.id).toBe('1');
    expect(plan.cancel.map((c) => [c.order.id, c.reason])).toEqual([['2', `second own stop (the session keeps ${P}-stop-1000)`]]);
    expect([plan.kept, plan.foreign]).toEqual([[], []]);
  });

  it('cancels every own order when the session holds no position, and leaves foreign and other-symbol orders alone', () => {
    const plan = planVenueReconciliation({
      openOrders: [order('1', `${P}-stop-1000`, 1_000), order('2', `${P}-tp1-1000`, 1_000), order('3', 'x-manual', 500), order('4', `${P}-stop-1000`, 1_000, 'ETH/USDT')],
      symbol: 'BTC/USDT', clientIdPrefix: P, position: null, policy: 'adopt',
    });
    expect(plan.adoptedStop).toBeNull();
    expect(plan.cancel.map((c) => [c.order.id, c.reason])).toEqual([
      ['1', 'own stop order while the session holds no position'],
      ['2', 'own tp1 order while the session holds no position'],
    ]);
    expect(ids(plan.foreign)).toEqual(['3']);
  });

  it('treats an id that only shares the prefix text (another session, a malformed suffix) as foreign', () => {
    const plan = planVenueReconciliation({
      openOrders: [order('1', `${P}0-stop-1000`, 1_000), order('2', `${P}-stop-soon`, 1_000)],
      symbol: 'BTC/USDT', clientIdPrefix: P, position: { stopOrderId: null }, policy: 'cancel',
    });
    expect(plan.adoptedStop).toBeNull();
    expect(plan.cancel.map((c) => c.order.id)).toEqual(['1', '2']);
    expect(plan.cancel[0].reason).toBe('foreign order on the session symbol (reconcile: cancel)');
  });
});
