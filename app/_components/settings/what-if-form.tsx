'use client';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';
import type { ManualOrderResult } from '@/engine/account/manual-order';
import type { WhatIfResult } from '@/engine/risk/what-if';
import { fmtNumber, fmtPct, formatNumber } from '../format';
import { ScrollTable } from '@/app/_components/scroll-table';
import { SubmitButton } from '@/app/_components/submit-button';
import { HydrationGate } from '@/app/_components/hydration-gate';

type Preview = (input: unknown) => Promise<ActionResult<WhatIfResult>>;
type Place = (input: unknown) => Promise<ActionResult<ManualOrderResult>>;

/** A paper account the order can go to. */
export interface WhatIfAccountOption {
  id: string;
  name: string;
  marketType: 'spot' | 'futures';
  /** The account's default leverage (futures), the form's starting value. */
  leverage: number;
}

/** A price as the entry field shows it ('' when unknown). */
const priceText = (price: number | null | undefined): string => (price === null || price === undefined ? '' : String(price));

interface Draft {
  accountId: string;
  symbol: string;
  side: 'long' | 'short';
  price: string;
  stopMode: 'price' | 'atr';
  stop: string;
  leverage: string;
}

/**
 * Manual paper order on one of the paper accounts: preview what it would do through that account's risk engine (sizing,
 * margin, liquidation, loss at stop, breaker headroom), then place it.
 */
export function WhatIfForm({
  accounts,
  symbols,
  defaults,
  preview,
  place,
  canPlace,
}: {
  accounts: WhatIfAccountOption[];
  symbols: string[];
  /** `lastCloses[symbol]`: the symbol's last stored close, the entry price the form starts from when the symbol is picked. */
  defaults: { accountId: string; symbol: string; lastCloses: Record<string, number | null> };
  preview: Preview;
  place: Place;
  canPlace: boolean;
}) {
  /** The leverage account `id`'s venue opens every position at (spot: 1): an order is placed at it only (another is a what-if). */
  const leverageOf = (id: string) => {
    const a = accounts.find((x) => x.id === id);
    return a && a.marketType === 'futures' ? a.leverage : 1;
  };
  const [draft, setDraft] = useState<Draft>({
    accountId: defaults.accountId,
    symbol: defaults.symbol,
    side: 'long',
    price: priceText(defaults.lastCloses[defaults.symbol]),
    stopMode: 'price',
    stop: '',
    leverage: String(leverageOf(defaults.accountId)),
  });
  const account = accounts.find((a) => a.id === draft.accountId);
  const spot = account?.marketType === 'spot';
  const accountLeverage = leverageOf(draft.accountId);
  const [result, setResult] = useState<WhatIfResult | null>(null);
  const [placed, setPlaced] = useState<ManualOrderResult | null>(null);
  const [error, setError] = useState<{ message: string; fields: Record<string, string[]> } | null>(null);
  const [pending, start] = useTransition();
  const input = () => ({
    accountId: draft.accountId,
    symbol: draft.symbol,
    side: draft.side,
    price: draft.price,
    stopPrice: draft.stopMode === 'price' ? draft.stop : '',
    atr: draft.stopMode === 'atr' ? draft.stop : '',
    leverage: spot ? '1' : draft.leverage,
  });
  const run = (fn: () => Promise<void>) => start(fn);
  const onError = (r: { error: { message: string; fieldErrors?: Record<string, string[]> } }) => setError({ message: r.error.message, fields: r.error.fieldErrors ?? {} });
  const fieldError = (key: string) =>
    error?.fields[key]?.length ? (
      <p className="field-error" id={`${key}-error`} role="alert" data-testid={`error-${key}`}>
        {error.fields[key].join('; ')}
      </p>
    ) : null;
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  /** A change that makes the last preview (and placement) stale: the account or the market. */
  const startOver = (patch: Partial<Draft>) => {
    set(patch);
    setResult(null);
    setPlaced(null);
  };
  return (
    <>
      <form
        data-testid="what-if-form"
        onSubmit={(e) => {
          e.preventDefault();
          run(async () => {
            setPlaced(null);
            const r = await preview(input());
            if (r.ok) {
              setError(null);
              setResult(r.data);
            } else {
              onError(r);
              setResult(null);
            }
          });
        }}
      >
        <HydrationGate>
          <div className="form-grid">
            <div className="field">
              <label htmlFor="accountId">Account</label>
              <select
                id="accountId"
                value={draft.accountId}
                // Another account: its own limits, fees and state, so the last preview no longer applies.
                onChange={(e) => startOver({ accountId: e.target.value, leverage: String(leverageOf(e.target.value)) })}
              >
                {accounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.id}, {a.marketType === 'futures' ? `futures ${formatNumber(a.leverage, 2)}×` : 'spot'})
                  </option>
                ))}
              </select>
              {fieldError('accountId')}
            </div>
            <div className="field">
              <label htmlFor="symbol">Symbol</label>
              <select
                id="symbol"
                value={draft.symbol}
                // Another market: its own last close as the entry, and no stop or preview of the last one's prices.
                onChange={(e) => startOver({ symbol: e.target.value, price: priceText(defaults.lastCloses[e.target.value]), stop: '' })}
              >
                {symbols.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
              {fieldError('symbol')}
            </div>
            <div className="field">
              <label htmlFor="side">Side</label>
              <select id="side" value={draft.side} onChange={(e) => set({ side: e.target.value as Draft['side'] })}>
                <option value="long">long (buy)</option>
                <option value="short">short (sell)</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="price">Entry price</label>
              <input id="price" type="number" step="any" value={draft.price} onChange={(e) => set({ price: e.target.value })} aria-invalid={Boolean(error?.fields.price)} />
              {fieldError('price')}
            </div>
            <div className="field">
              <label htmlFor="stopMode">Stop from</label>
              <select id="stopMode" value={draft.stopMode} onChange={(e) => set({ stopMode: e.target.value as Draft['stopMode'] })}>
                <option value="price">a stop price</option>
                <option value="atr">an ATR (stop = multiple × ATR away)</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="stop">{draft.stopMode === 'price' ? 'Stop price' : 'ATR (price units)'}</label>
              <input id="stop" type="number" step="any" value={draft.stop} onChange={(e) => set({ stop: e.target.value })} aria-invalid={Boolean(error?.fields.stopPrice ?? error?.fields.atr)} />
              {fieldError('stopPrice')}
              {fieldError('atr')}
            </div>
            <div className="field">
              <label htmlFor="leverage">Leverage{spot ? ' (spot: 1)' : ''}</label>
              <input id="leverage" type="number" step="any" min={1} value={spot ? '1' : draft.leverage} disabled={spot} onChange={(e) => set({ leverage: e.target.value })} />
              {fieldError('leverage')}
            </div>
          </div>
          <p>
            <SubmitButton busy={pending} data-testid="preview-order">
              {pending ? 'Working…' : 'Show what it would do'}
            </SubmitButton>
          </p>
          {error && !Object.keys(error.fields).length ? (
            <p className="error" role="alert" data-testid="what-if-error">
              {error.message}
            </p>
          ) : null}
        </HydrationGate>
      </form>

      {result && (
        <section className="card" aria-labelledby="what-if-result-heading" data-testid="what-if-result">
          <h2 id="what-if-result-heading">
            {result.approved ? <span className="badge ok">risk approves</span> : <span className="badge bad">risk denies</span>} {result.reason ?? ''}
          </h2>
          <dl className="metric-cards">
            {[
              ['Size', fmtNumber(result.amount, 6)],
              // A limit refused it: the size its checks were evaluated at (NaN: refused before sizing, e.g. halted).
              ...(!result.approved && Number.isFinite(result.sizedAmount) ? [['Size refused', fmtNumber(result.sizedAmount, 6)]] : []),
              ['Notional', fmtNumber(result.notional)],
              ['Leverage', `${formatNumber(result.leverage, 2)}×`],
              ['Margin used', fmtNumber(result.marginUsed)],
              ['Liquidation price', fmtNumber(result.liquidationPrice)],
              ['Stop', fmtNumber(result.stopPrice)],
              ['Loss at stop', fmtNumber(result.lossAtStop)],
              ['Loss at stop / equity', fmtPct(result.lossAtStopPctEquity)],
              ['Costs in sizing', `${fmtNumber(result.costs.takerFeeBps)} bps fee, ${fmtNumber(result.costs.spreadBps)} bps spread, ${fmtNumber(result.costs.slippageBps)} bps slippage`],
            ].map(([label, value]) => (
              <div key={label}>
                <dt>{label}</dt>
                <dd data-testid={`what-if-${label.toLowerCase().replace(/[^a-z]+/g, '-')}`}>{value}</dd>
              </div>
            ))}
          </dl>
          <ScrollTable label="Breaker headroom">
              <thead>
                <tr><th scope="col">Breaker</th><th scope="col">Headroom now</th><th scope="col">Headroom if stopped out</th></tr>
              </thead>
              <tbody>
                {result.breakers.map((b) => (
                  <tr key={b.name}>
                    <td>{b.name.replace('_', ' ')}</td>
                    <td>{fmtPct(b.headroomPct)} ({fmtNumber(b.headroomEquity)})</td>
                    <td>{fmtPct(b.headroomAfterStopPct)} ({fmtNumber(b.headroomAfterStopEquity)})</td>
                  </tr>
                ))}
              </tbody>
          </ScrollTable>
          {result.checks.length > 0 && (
            <p className="muted">
              {/* Up to 4 decimals, as the journal's decision chain shows them: a VaR fraction of 0.0009 is not "0.00". */}
              Checks: {result.checks.map((c) => `${c.name} ${formatNumber(c.value, 4)} / ${formatNumber(c.limit, 4)} ${c.passed ? 'ok' : 'FAIL'}`).join(' · ')}
            </p>
          )}
          {result.leverage !== accountLeverage && (
            <p className="muted" data-testid="what-if-leverage-note">
              Preview only: {account?.name ?? draft.accountId} opens every position at {formatNumber(accountLeverage, 2)}×, its leverage setting. Set leverage to{' '}
              {formatNumber(accountLeverage, 2)} to place this order, or change the account&apos;s leverage on its page while it holds no position.
            </p>
          )}
          {canPlace ? (
            <button
              type="button"
              className="primary"
              disabled={pending || !result.approved || result.leverage !== accountLeverage}
              data-testid="place-order"
              onClick={() =>
                run(async () => {
                  const r = await place(input());
                  if (r.ok) {
                    setPlaced(r.data);
                    setResult(r.data.whatIf);
                    setError(null);
                  } else onError(r);
                })
              }
            >
              Place paper order on {account?.name ?? draft.accountId}
            </button>
          ) : (
            <p className="muted">Placing orders needs the trader role.</p>
          )}
          {placed && (
            <p role="status" data-testid="place-result" className={placed.outcome === 'placed' ? undefined : 'error'}>
              {placed.outcome === 'placed'
                ? `Placed: entry ${placed.entry?.status} at ${fmtNumber(placed.entry?.averagePrice ?? null)}, stop at ${fmtNumber(placed.whatIf.stopPrice)}.`
                : `Not placed (${placed.outcome}): ${placed.reason}`}
            </p>
          )}
        </section>
      )}
    </>
  );
}
