import Link from 'next/link';
import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { TIMEFRAME_MS } from '@/engine/core/types';
import { VENUE_IDS } from '@/engine/venues/registry';
import { StrategyChecks } from './_components/strategy-checks';
import { queueStrategyCheck } from './actions';

export const dynamic = 'force-dynamic';

/**
 * The look-ahead and recursion check of a strategy: a form that queues a `strategy-check` job, its
 * progress, and each report (every candle whose signal changes when later candles are removed, and
 * every indicator that still depends on earlier history after the strategy's startup history, with times).
 */
export default async function StrategyCheckPage() {
  const { root, actor } = await requireRole('viewer', '/strategies/check');
  const canRun = roleAtLeast(actor.role, 'trader');
  const [streams, checks] = await Promise.all([root.engine.listCandleStreams(), root.engine.listTickets({ kind: 'strategy-check', limit: 10 })]);
  const strategies = root.engine.strategies.names();
  const exchanges = [...new Set([...streams.map((s) => s.exchange), ...VENUE_IDS])];
  return (
    <section className="card" aria-labelledby="check-heading">
      <h1 id="check-heading">Look-ahead and recursion check</h1>
      <p className="muted">
        <Link href="/strategies">Back to strategies</Link>
      </p>
      <p>
        Look-ahead: every candle is evaluated twice, with the whole range loaded and with the range cut right after it (what a live session sees); a signal that differs read a later candle.
        Recursion: each indicator the strategy reads is recomputed with history starting later; where it still differs by more than 0.1 % after the strategy&apos;s startup history (the
        candles a backtest loads before its start and a live session warms with), that history is too short for it (EMA, RSI and ATR remember their first candles). Leave
        &quot;Startup candles&quot; blank to check the strategy&apos;s own; give a number to see what a shorter history would change.
      </p>
      <StrategyChecks
        initial={checks}
        nowMs={Date.now()}
        canRun={canRun}
        strategies={strategies}
        exchanges={exchanges}
        timeframes={Object.keys(TIMEFRAME_MS)}
        queue={queueStrategyCheck}
      />
    </section>
  );
}
