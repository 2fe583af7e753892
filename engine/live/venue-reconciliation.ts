/**
 * Start-up reconciliation of a live session with the orders it finds open on the venue (issue 18,
 * item 6). A session's client order ids are deterministic (`<prefix>-<kind>-<candle ms>`, see
 * `clientIdPrefixOf`), so the orders it placed before a restart or a handover are recognisable.
 *
 * What a trader expects, and what {@link planVenueReconciliation} decides, for open orders on the
 * session's symbol:
 * - **Own protective stop** (`stop` or `trail`) while the checkpoint holds a position: the session
 *   keeps protecting the position with it. The checkpointed stop when it is still open, else the
 *   newest own stop, becomes the session's stop (adopted); any other own stop is cancelled (two stops
 *   would close the position twice).
 * - **Own take-profits** (`tp1`, `tp2`, ...) while a position is open: kept working on the venue.
 * - **Any other own order** (an entry or exit remainder, or any own order while the session holds no
 *   position): cancelled. The loop decides again from the next candle; an order from before the
 *   restart would act on a position it was not sized for.
 * - **Foreign orders** (placed by hand or by another tool): left alone with a warning by default
 *   (`reconcile: 'adopt'`), cancelled when the operator chose `reconcile: 'cancel'`.
 * Orders on other symbols are never touched.
 */
import type { Order } from '../ports/exchange';

/** The operator's choice for foreign orders on the session's symbol. Own orders follow the rules above either way. */
export const ReconcilePolicy = { Adopt: 'adopt', Cancel: 'cancel' } as const;
export type ReconcilePolicy = (typeof ReconcilePolicy)[keyof typeof ReconcilePolicy];

/** What to do with the open orders. Every input order on the symbol is in exactly one list. */
export interface ReconciliationPlan {
  /** The own stop that becomes the session's protective stop; null when there is none or no position. */
  adoptedStop: Order | null;
  /** Own orders left working (take-profits of the open position). */
  kept: Order[];
  /** Orders to cancel, each with why. */
  cancel: { order: Order; reason: string }[];
  /** Foreign orders left on the venue (policy `adopt`). */
  foreign: Order[];
}

/** The order kind inside an own client id (`stop`, `trail`, `tp1`, `entry`, ...), or null for a foreign id. */
function ownKindOf(clientOrderId: string, clientIdPrefix: string): string | null {
  if (!clientOrderId.startsWith(`${clientIdPrefix}-`)) return null;
  const match = /^([a-z0-9]+)-\d+$/.exec(clientOrderId.slice(clientIdPrefix.length + 1));
  return match ? match[1] : null;
}

const isStopKind = (kind: string) => kind === 'stop' || kind === 'trail';
const isTakeProfitKind = (kind: string) => /^tp\d+$/.test(kind);

/**
 * Decides what happens to each open order on `symbol` (see the module doc). Pure: it cancels nothing.
 * `position` is the checkpoint's open position (null when the session holds none); its `stopOrderId`
 * is the stop the session tracked before it stopped.
 */
export function planVenueReconciliation(input: {
  openOrders: readonly Order[];
  symbol: string;
  clientIdPrefix: string;
  position: { stopOrderId: string | null } | null;
  policy: ReconcilePolicy;
}): ReconciliationPlan {
  const plan: ReconciliationPlan = { adoptedStop: null, kept: [], cancel: [], foreign: [] };
  const ownStops: Order[] = [];
  for (const order of input.openOrders) {
    if (order.symbol !== input.symbol) continue;
    const kind = ownKindOf(order.clientOrderId, input.clientIdPrefix);
    if (kind === null) {
      if (input.policy === ReconcilePolicy.Cancel) plan.cancel.push({ order, reason: 'foreign order on the session symbol (reconcile: cancel)' });
      else plan.foreign.push(order);
    } else if (input.position === null) {
      plan.cancel.push({ order, reason: `own ${kind} order while the session holds no position` });
    } else if (isStopKind(kind)) {
      ownStops.push(order);
    } else if (isTakeProfitKind(kind)) {
      plan.kept.push(order);
    } else {
      plan.cancel.push({ order, reason: `own ${kind} order left from before the start` });
    }
  }
  if (ownStops.length) {
    // The tracked stop when still open; else the newest (the latest trail level).
    const tracked = ownStops.find((o) => o.id === input.position?.stopOrderId);
    const newest = [...ownStops].sort((a, b) => b.createdAtMs - a.createdAtMs || (b.id < a.id ? -1 : 1))[0];
    plan.adoptedStop = tracked ?? newest;
    for (const order of ownStops) {
      if (order !== plan.adoptedStop) plan.cancel.push({ order, reason: `second own stop (the session keeps ${plan.adoptedStop.clientOrderId})` });
    }
  }
  return plan;
}
