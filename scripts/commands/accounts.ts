/**
 * `accounts`: trading accounts from the command line; the same engine methods as the control API.
 *   accounts list [--json]
 *   accounts show --id default [--json]
 *   accounts create --id swing --name "Swing" --market-type futures --balance 10000 [--leverage 3] [--taker-fee-bps 4] [--json]
 *   accounts create --id usdm --name "USD-M" --venue binanceusdm [--leverage 3] [--taker-fee-bps 5]   venue account (stored keys)
 *   accounts halt   (--id ID | --all) --reason "..."
 *   accounts resume (--id ID | --all) --reason "..."
 *   accounts close  --id ID --symbol BTC/USDT [--amount 0.5]      force exit (never denied)
 *   accounts order  --id ID --symbol BTC/USDT --side long --price 64000 (--stop 62000 | --atr 900) [--leverage 3] [--preview]
 *                   a manual order through the account's risk engine (as POST /api/v1/accounts/{id}/orders); --preview
 *                   only says what it would do (as …/what-if): nothing is sent or journaled. A denied order exits 1.
 *                   --leverage defaults to the account's; another leverage can be previewed, not placed (exit 2).
 * Mutations are written to the audit log as the CLI. Exit codes: 0 done, 1 failure (an order risk denied or the exchange rejected), 2 bad input.
 */
import { parseArgs } from 'node:util';
import { NotFoundError, ValidationError } from '../../engine/core/errors';
import type { AccountBook } from '../../engine/account/account-book';
import type { RiskStatus } from '../../engine/risk/risk-desk';
import type { AccountValueAtRisk } from '../../engine/risk/portfolio-history';
import type { WhatIfResult } from '../../engine/risk/what-if';
import { fmtFractionPct, fmtNumber, formatNumber } from '../../app/_components/format';

export const ACCOUNTS_USAGE = `usage: npm run cli -- accounts list [--json]
       npm run cli -- accounts show --id default [--json]
       npm run cli -- accounts create --id swing --name "Swing" --market-type spot|futures --balance 10000 [--leverage 3] [--taker-fee-bps 10] [--maker-fee-bps 2] [--spread-bps 2] [--slippage-bps 2] [--margin-mode cross|isolated]
       npm run cli -- accounts create --id usdm --name "USD-M" --venue binanceusdm [--leverage 3] [--taker-fee-bps 5] [--maker-fee-bps 2] [--margin-mode cross|isolated]
       npm run cli -- accounts halt (--id ID | --all) --reason "why"
       npm run cli -- accounts resume (--id ID | --all) --reason "why"
       npm run cli -- accounts close --id ID --symbol BTC/USDT [--amount 0.5]
       npm run cli -- accounts order --id ID --symbol BTC/USDT --side long|short --price 64000 (--stop 62000 | --atr 900) [--leverage 3] [--preview]`;

export interface AccountsCommandServices {
  accounts: AccountBook;
  /** Writes an audit entry for a mutation (actor: the CLI). */
  audit(action: string, target: string | null, after: unknown): Promise<void>;
  stdout(s: string): void;
  stderr(s: string): void;
}

const ACTOR = 'cli';

function riskLine(status: RiskStatus): string {
  return `${status.accountId}: ${status.halted ? `HALTED (${status.haltReason})` : 'trading'}`;
}

/** `VaR 99%: 312.10 USDT (3.12% of equity), ES 401.70 USDT (4.02%), one 1h candle, 500 scenarios`. */
function valueAtRiskLine(v: AccountValueAtRisk, quote: string): string {
  const level = `${Number((v.confidence * 100).toFixed(2))}%`;
  if (v.status === 'flat') return `VaR ${level}: no open positions`;
  if (v.status === 'unavailable') return `VaR ${level}: not available (${v.reason})`;
  return `VaR ${level}: ${v.valueAtRisk.toFixed(2)} ${quote} (${fmtFractionPct(v.varFraction)} of equity), ES ${v.expectedShortfall.toFixed(2)} ${quote} (${fmtFractionPct(v.esFraction)}), one ${v.timeframe} candle, ${v.scenarios} scenarios`;
}

/**
 * What an order would do, in lines: the verdict with the size (or the size refused), notional, margin, liquidation, the
 * stop and its loss, then every check with its limit.
 */
function whatIfLines(accountId: string, symbol: string, side: string, w: WhatIfResult): string[] {
  const verdict = w.approved
    ? `${accountId}: risk approves ${side} ${fmtNumber(w.amount, 6)} ${symbol}, notional ${fmtNumber(w.notional)}, margin ${fmtNumber(w.marginUsed)} at ${formatNumber(w.leverage, 2)}x, liquidation ${Number.isFinite(w.liquidationPrice) ? fmtNumber(w.liquidationPrice) : 'none'}`
    : `${accountId}: risk denies ${side} ${symbol}: ${w.reason}${Number.isFinite(w.sizedAmount) ? ` (size refused ${fmtNumber(w.sizedAmount, 6)})` : ''}`;
  const stop = `stop ${fmtNumber(w.stopPrice)}, loss at the stop ${fmtNumber(w.lossAtStop)} (${fmtNumber(w.lossAtStopPctEquity)}% of equity)`;
  const checks = w.checks.map((c) => `${c.name} ${formatNumber(c.value, 4)} / ${formatNumber(c.limit, 4)} ${c.passed ? 'ok' : 'FAIL'}`).join(' · ');
  return [verdict, ...(w.approved ? [stop] : []), ...(checks ? [`checks: ${checks}`] : [])];
}

export async function runAccountsCommand(args: string[], services: AccountsCommandServices): Promise<number> {
  const [sub, ...rest] = args;
  const usage = (message: string) => {
    services.stderr(`accounts: ${message}\n${ACCOUNTS_USAGE}`);
    return 2;
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        id: { type: 'string' },
        all: { type: 'boolean', default: false },
        reason: { type: 'string' },
        symbol: { type: 'string' },
        amount: { type: 'string' },
        side: { type: 'string' },
        price: { type: 'string' },
        stop: { type: 'string' },
        atr: { type: 'string' },
        preview: { type: 'boolean', default: false },
        name: { type: 'string' },
        'market-type': { type: 'string' },
        venue: { type: 'string' },
        balance: { type: 'string' },
        leverage: { type: 'string' },
        'taker-fee-bps': { type: 'string' },
        'maker-fee-bps': { type: 'string' },
        'spread-bps': { type: 'string' },
        'slippage-bps': { type: 'string' },
        'margin-mode': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  const num = (flag: string): number | undefined => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) throw new ValidationError(flag, raw, 'expected a number');
    return n;
  };
  const out = (value: unknown, text: string) => services.stdout(values.json ? JSON.stringify(value, null, 2) : text);
  try {
    switch (sub) {
      case 'list': {
        const accounts = await services.accounts.list();
        out(accounts, accounts.map((a) => `${a.id.padEnd(20)} ${a.settings.marketType.padEnd(8)} started with ${a.settings.initialBalance} ${a.settings.quoteCurrency}  ${a.settings.name}`).join('\n'));
        return 0;
      }
      case 'show': {
        if (!values.id) return usage('missing --id');
        const view = await services.accounts.view(String(values.id));
        const positions = view.positions.map((p) => `  ${p.symbol} ${p.side} ${p.amount} @ ${p.entryPrice} (liq ${p.liquidationPrice ?? 'none'}) upnl ${p.unrealizedPnl.toFixed(2)}`);
        out(view, [`${view.account.id}: equity ${view.equity.toFixed(2)} ${view.account.settings.quoteCurrency}, wallet ${view.walletBalance.toFixed(2)}`, riskLine(view.risk), valueAtRiskLine(view.valueAtRisk, view.account.settings.quoteCurrency), ...positions, `${view.openOrders.length} open orders`].join('\n'));
        return 0;
      }
      case 'create': {
        // --venue links a venue account (its market type and balance come from the venue).
        const input = {
          id: values.id,
          name: values.name,
          ...(values.venue !== undefined ? { kind: 'venue', venue: values.venue } : { marketType: values['market-type'], initialBalance: num('balance') }),
          ...(values.leverage !== undefined ? { leverage: num('leverage') } : {}),
          ...(values['taker-fee-bps'] !== undefined ? { takerFeeBps: num('taker-fee-bps') } : {}),
          ...(values['maker-fee-bps'] !== undefined ? { makerFeeBps: num('maker-fee-bps') } : {}),
          ...(values['spread-bps'] !== undefined ? { spreadBps: num('spread-bps') } : {}),
          ...(values['slippage-bps'] !== undefined ? { slippageBps: num('slippage-bps') } : {}),
          ...(values['margin-mode'] !== undefined ? { marginMode: values['margin-mode'] } : {}),
        };
        const account = await services.accounts.create(input, ACTOR);
        await services.audit('account.create', account.id, account);
        out(account, `created account ${account.id} (${account.settings.marketType}, ${account.settings.initialBalance} ${account.settings.quoteCurrency})`);
        return 0;
      }
      case 'halt':
      case 'resume': {
        const reason = typeof values.reason === 'string' ? values.reason.trim() : '';
        if (!reason) return usage('missing --reason (it is kept in the audit log)');
        if (values.all) {
          const result = sub === 'halt' ? await services.accounts.haltAll(reason, ACTOR) : await services.accounts.resumeAll(ACTOR);
          await services.audit(`accounts.${sub}`, null, { reason, halt: result.halt });
          out(result, result.accounts.map(riskLine).join('\n'));
          return 0;
        }
        if (!values.id) return usage('give --id ID or --all');
        const id = String(values.id);
        const status = sub === 'halt' ? await services.accounts.halt(id, reason) : await services.accounts.resume(id);
        await services.audit(`account.${sub}`, id, { reason, halted: status.halted, haltReason: status.haltReason });
        out(status, riskLine(status));
        return 0;
      }
      case 'close': {
        if (!values.id) return usage('missing --id');
        if (!values.symbol) return usage('missing --symbol');
        const id = String(values.id);
        const result = await services.accounts.closePosition(id, { symbol: String(values.symbol), amount: num('amount') }, ACTOR);
        await services.audit('account.close-position', `${id} ${String(values.symbol)}`, { orderId: result.order.id, status: result.order.status, remaining: result.remaining });
        out(result, `close order ${result.order.id} ${result.order.status}: ${result.order.filled} ${String(values.symbol)} at ${result.order.averagePrice}; ${result.remaining} left open`);
        return 0;
      }
      case 'order': {
        if (!values.id) return usage('missing --id');
        if (!values.symbol) return usage('missing --symbol');
        const id = String(values.id);
        const symbol = String(values.symbol);
        // The engine checks the order (a bad side, price or stop is named by its field); flags only become numbers here.
        const order = {
          symbol,
          side: values.side,
          price: num('price'),
          ...(values.stop !== undefined ? { stopPrice: num('stop') } : {}),
          ...(values.atr !== undefined ? { atr: num('atr') } : {}),
          ...(values.leverage !== undefined ? { leverage: num('leverage') } : {}),
        };
        if (values.preview) {
          const whatIf = await services.accounts.whatIf(id, order);
          out(whatIf, whatIfLines(id, symbol, String(values.side), whatIf).join('\n'));
          return 0;
        }
        const result = await services.accounts.placeOrder(id, order, ACTOR);
        await services.audit('account.order', `${id} ${symbol}`, { outcome: result.outcome, reason: result.reason, entry: result.entry?.id ?? null, decisionId: result.decisionId });
        const lines = whatIfLines(id, symbol, String(values.side), result.whatIf);
        if (result.outcome === 'placed') lines.push(`placed: entry ${result.entry!.id} ${result.entry!.status} at ${fmtNumber(result.entry!.averagePrice)}, stop ${result.stop!.id} at ${fmtNumber(result.stop!.stopPrice)} (decision ${result.decisionId})`);
        else lines.push(`not placed (${result.outcome}): ${result.reason} (decision ${result.decisionId})`);
        out(result, lines.join('\n'));
        return result.outcome === 'placed' ? 0 : 1;
      }
      default:
        return usage(`unknown subcommand "${sub ?? ''}"`);
    }
  } catch (error) {
    if (error instanceof ValidationError || error instanceof NotFoundError) {
      services.stderr(`accounts: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
