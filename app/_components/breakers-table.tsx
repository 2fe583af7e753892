/**
 * An account's circuit breakers, one row each: limit, where the account stands, the headroom in % and in the quote
 * currency, and the equity at which it trips. The one rendering of the breakers, for the account pages (server) and
 * the overview (client): no hooks, no server-only imports.
 */
import type { BreakerStatus } from '@/engine/risk/risk-engine';
import { fmtNumber, fmtPct } from './format';
import { ScrollTable } from './scroll-table';

const BREAKER_LABEL: Record<string, string> = { daily_loss: 'Daily loss', max_drawdown: 'Drawdown from peak' };

export function BreakersTable({ breakers, quote }: { breakers: readonly BreakerStatus[]; quote: string }) {
  return (
    <ScrollTable label="Circuit breakers" data-testid="breakers" aria-label="Circuit breakers">
      <thead>
        <tr>
          <th scope="col">Breaker</th>
          <th scope="col">Limit</th>
          <th scope="col">Now</th>
          <th scope="col">Headroom</th>
          <th scope="col">Headroom ({quote})</th>
          <th scope="col">Trips at equity ({quote})</th>
        </tr>
      </thead>
      <tbody>
        {breakers.map((b) => (
          <tr key={b.name} data-testid={`breaker-${b.name}`}>
            <td>
              {BREAKER_LABEL[b.name] ?? b.name}
              {b.tripped ? <span className="badge bad"> tripped</span> : null}
            </td>
            <td>{fmtPct(b.limitPct)}</td>
            <td>{fmtPct(b.currentPct)}</td>
            <td data-testid="headroom-pct">{fmtPct(b.headroomPct)}</td>
            <td data-testid="headroom-equity">{fmtNumber(b.headroomEquity)}</td>
            <td>{fmtNumber(b.tripEquity)}</td>
          </tr>
        ))}
      </tbody>
    </ScrollTable>
  );
}
