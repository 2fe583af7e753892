/**
 * The open-positions table with force exit, shared by the account pages, the session page and the
 * overview (a server or a client component: no hooks; `onDone` only from client parents).
 */
import { ActionForm, FormField } from '@/app/_components/action-form';
import { fmtAmount, fmtMoney, fmtPrice } from '@/app/_components/format';
import { forceExitPosition } from '../actions';
import { ScrollTable } from '@/app/_components/scroll-table';

/** One open position as the table shows it (money in the account's quote currency). */
export interface PositionRow {
  symbol: string;
  side: 'long' | 'short';
  amount: number;
  entryPrice: number;
  markPrice: number | null;
  unrealizedPnl: number;
  /** null (or NaN) on spot or when fully collateralised. */
  liquidationPrice: number | null;
  margin?: number;
}

const signClass = (v: number) => (!Number.isFinite(v) || v === 0 ? undefined : v > 0 ? 'pos' : 'neg');

export function PositionsTable({
  accountId,
  quote,
  positions,
  canTrade,
  label,
  testId,
  onDone,
}: {
  accountId: string;
  quote: string;
  positions: PositionRow[];
  canTrade: boolean;
  label: string;
  testId?: string;
  onDone?: () => void;
}) {
  const withMargin = positions.some((p) => p.margin !== undefined);
  return (
    <ScrollTable label={label} data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Symbol</th>
            <th scope="col">Side</th>
            <th scope="col">Amount</th>
            <th scope="col">Entry</th>
            <th scope="col">Mark</th>
            <th scope="col">Unrealized ({quote})</th>
            <th scope="col">Liquidation</th>
            {withMargin ? <th scope="col">Margin ({quote})</th> : null}
            {canTrade ? <th scope="col">Force exit</th> : null}
          </tr>
        </thead>
        <tbody>
          {positions.map((p) => (
            <tr key={p.symbol} data-testid="position-row">
              <td>{p.symbol}</td>
              <td>{p.side}</td>
              <td data-testid="position-amount">{fmtAmount(p.amount)}</td>
              <td>{fmtPrice(p.entryPrice)}</td>
              <td>{p.markPrice === null ? '—' : fmtPrice(p.markPrice)}</td>
              <td className={signClass(p.unrealizedPnl)}>{fmtMoney(p.unrealizedPnl)}</td>
              <td data-testid="liquidation-price">
                {p.liquidationPrice === null || !Number.isFinite(p.liquidationPrice) ? <span title="spot or fully collateralised: no liquidation">none</span> : fmtPrice(p.liquidationPrice)}
              </td>
              {withMargin ? <td>{p.margin === undefined ? '—' : fmtMoney(p.margin)}</td> : null}
              {canTrade ? (
                <td>
                  <ActionForm action={forceExitPosition} submitLabel={`Force exit ${p.symbol}`} testId="force-exit-form" danger onDone={onDone}>
                    <input type="hidden" name="id" value={accountId} />
                    <input type="hidden" name="symbol" value={p.symbol} />
                    <FormField name="amount" label="Amount" hint="empty = whole position" type="number" step="any" />
                  </ActionForm>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
    </ScrollTable>
  );
}
