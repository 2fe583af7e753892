/**
 * Account panels shared by the accounts pages, the overview and the session page: risk state with
 * breakers, halt/resume, positions with force exit, open orders, and the global halt. Server
 * components; the forms inside are client ActionForms bound to the gated account actions.
 */
import { ActionForm, FormField } from '@/app/_components/action-form';
import { fmtAmount, fmtNumber, fmtPct, fmtPrice, fmtTime } from '@/app/_components/format';
import { tradeNetPnl } from '@/engine/insight/trade-outcome';
import type { AccountView, GlobalHalt } from '@/engine/account/account-book';
import { haltAccount, haltAllAccounts, resumeAccount, resumeAllAccounts } from '../actions';
import { PositionsTable } from './positions-table';
import { ScrollTable } from '@/app/_components/scroll-table';
import { ValueAtRiskFigures } from '@/app/_components/value-at-risk-figures';
import { BreakersTable } from '@/app/_components/breakers-table';

/** Halted/trading badge, the reason and since when. */
export function HaltBadge({ risk }: { risk: Pick<AccountView['risk'], 'halted' | 'haltReason' | 'haltedAtMs'> }) {
  return risk.halted ? (
    <span data-testid="account-halt-state">
      <span className="badge bad" data-testid="risk-halted">halted</span> <span data-testid="halt-reason">{risk.haltReason ?? 'no reason recorded'}</span>
      {risk.haltedAtMs ? <span className="muted"> since {fmtTime(risk.haltedAtMs)} UTC</span> : null}
    </span>
  ) : (
    <span data-testid="account-halt-state">
      <span className="badge ok" data-testid="risk-active">trading allowed</span>
    </span>
  );
}

/** Risk state of one account: halt state, each breaker's headroom in % and in the quote currency, halt/resume for traders. */
export function RiskPanel({ view, canTrade, headingLevel = 2 }: { view: AccountView; canTrade: boolean; headingLevel?: 2 | 3 }) {
  const { risk, account } = view;
  const quote = account.settings.quoteCurrency;
  const Heading = `h${headingLevel}` as const;
  return (
    <section className="card" aria-labelledby={`risk-${account.id}`} data-testid="risk-controls">
      <Heading id={`risk-${account.id}`}>Risk state · {account.settings.name}</Heading>
      <p>
        <HaltBadge risk={risk} />
      </p>
      <BreakersTable breakers={risk.breakers} quote={quote} />
      {canTrade ? (
        risk.halted ? (
          <ActionForm key="resume" action={resumeAccount} submitLabel="Resume trading" testId="resume-form">
            <input type="hidden" name="id" value={account.id} />
            <FormField name="reason" label="Reason" required placeholder="why entries may start again" />
          </ActionForm>
        ) : (
          <ActionForm key="halt" action={haltAccount} submitLabel="Halt trading" testId="halt-form" danger>
            <input type="hidden" name="id" value={account.id} />
            <FormField name="reason" label="Reason" required placeholder="why new entries must stop" />
          </ActionForm>
        )
      ) : (
        <p className="muted">Halting and resuming needs the trader role.</p>
      )}
      <p className="muted">
        <small>A halt stops new entries of every session of this account from its next candle; exits, stops and force exits still run.</small>
      </p>
    </section>
  );
}

/** Portfolio VaR and expected shortfall of the account's positions now, with the limits. */
export function ValueAtRiskPanel({ view, headingLevel = 2 }: { view: AccountView; headingLevel?: 2 | 3 }) {
  const Heading = `h${headingLevel}` as const;
  return (
    <section className="card" aria-labelledby={`var-${view.account.id}`} data-testid="account-var">
      <Heading id={`var-${view.account.id}`}>Portfolio value-at-risk</Heading>
      <ValueAtRiskFigures value={view.valueAtRisk} quote={view.account.settings.quoteCurrency} />
    </section>
  );
}

/** Open positions with liquidation price and a force exit (whole, or an amount) for traders. */
export function PositionsPanel({ view, canTrade, symbol, headingLevel = 2 }: { view: AccountView; canTrade: boolean; symbol?: string; headingLevel?: 2 | 3 }) {
  const quote = view.account.settings.quoteCurrency;
  const positions = symbol ? view.positions.filter((p) => p.symbol === symbol) : view.positions;
  const Heading = `h${headingLevel}` as const;
  return (
    <section className="card" aria-labelledby={`positions-${view.account.id}`} data-testid="positions">
      <Heading id={`positions-${view.account.id}`}>{symbol ? `Position on ${symbol}` : 'Open positions'}</Heading>
      {positions.length === 0 ? (
        <p className="muted" data-testid="positions-empty">
          {symbol ? `No open position on ${symbol}.` : 'No open positions.'}
        </p>
      ) : (
        <PositionsTable accountId={view.account.id} quote={quote} positions={positions} canTrade={canTrade} label={symbol ? `Position on ${symbol}` : 'Open positions'} />
      )}
    </section>
  );
}

/** Working orders of the account (stops, limits). */
export function OpenOrdersPanel({ view }: { view: AccountView }) {
  return (
    <section className="card" aria-labelledby={`orders-${view.account.id}`} data-testid="open-orders">
      <h2 id={`orders-${view.account.id}`}>Open orders</h2>
      {view.openOrders.length === 0 ? (
        <p className="muted" data-testid="open-orders-empty">No working orders.</p>
      ) : (
        <ScrollTable label="Open orders">
            <thead>
              <tr>
                <th scope="col">Symbol</th>
                <th scope="col">Side</th>
                <th scope="col">Type</th>
                <th scope="col">Amount</th>
                <th scope="col">Filled</th>
                <th scope="col">Price / stop</th>
                <th scope="col">Reduce only</th>
                <th scope="col">Placed (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {view.openOrders.map((o) => (
                <tr key={o.id} data-testid="open-order-row">
                  <td>{o.symbol}</td>
                  <td>{o.side}</td>
                  <td>{o.type}</td>
                  <td>{fmtAmount(o.amount)}</td>
                  <td>{fmtAmount(o.filled)}</td>
                  <td>{fmtPrice(o.type === 'stop' ? o.stopPrice : o.price)}</td>
                  <td>{o.reduceOnly ? 'yes' : 'no'}</td>
                  <td>{fmtTime(o.createdAtMs)}</td>
                </tr>
              ))}
            </tbody>
        </ScrollTable>
      )}
    </section>
  );
}

/** The halt over all accounts: its state and, for traders, Halt all / Resume all with a reason. */
export function GlobalHaltPanel({ halt, canTrade }: { halt: GlobalHalt; canTrade: boolean }) {
  return (
    <section className="card" aria-labelledby="global-halt-heading" data-testid="global-halt">
      <h2 id="global-halt-heading">All accounts</h2>
      <p data-testid="global-halt-state">
        {halt.halted ? (
          <>
            <span className="badge bad">global halt</span> {halt.reason ?? 'no reason recorded'}{' '}
            <span className="muted">
              since {fmtTime(halt.atMs)} UTC{halt.by ? ` by ${halt.by}` : ''}; new accounts start halted
            </span>
          </>
        ) : (
          <>
            <span className="badge ok">no global halt</span> <span className="muted">each account follows its own halt state</span>
          </>
        )}
      </p>
      {canTrade ? (
        halt.halted ? (
          <ActionForm key="resume-all" action={resumeAllAccounts} submitLabel="Resume all accounts" testId="resume-all-form">
            <FormField name="reason" label="Reason" required />
          </ActionForm>
        ) : (
          <ActionForm key="halt-all" action={haltAllAccounts} submitLabel="Halt all accounts" testId="halt-all-form" danger>
            <FormField name="reason" label="Reason" required />
          </ActionForm>
        )
      ) : null}
    </section>
  );
}

/** Equity, wallet and totals of an account, in its quote currency. */
export function AccountFigures({ view }: { view: AccountView }) {
  const t = view.totals;
  const q = view.account.settings.quoteCurrency;
  const items: [string, string, string][] = [
    ['Equity', fmtNumber(view.equity), 'account-equity'],
    ['Wallet balance', fmtNumber(view.walletBalance), 'account-balance'],
    ['Initial balance', fmtNumber(t.initialBalance), 'account-initial'],
    ['Realized PnL (gross)', fmtNumber(t.realizedPnl), 'account-realized'],
    ['Unrealized PnL', fmtNumber(t.unrealizedPnl), 'account-unrealized'],
    ['Fees paid', fmtNumber(t.fees), 'account-fees'],
    ['Funding', fmtNumber(t.funding), 'account-funding'],
    ['Net realized PnL (gross − fees − funding)', fmtNumber(tradeNetPnl(t)), 'account-net-realized'],
  ];
  return (
    <dl className="metric-cards" data-testid="account-figures">
      {items.map(([label, value, testId]) => (
        <div key={label}>
          <dt>
            {label} ({q})
          </dt>
          <dd data-testid={testId}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
