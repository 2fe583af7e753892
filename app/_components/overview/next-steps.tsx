/**
 * The first-run card on the overview: what to do next on a fresh install, each step linking to the
 * page that does it. Shown right after setup (`?welcome=1`) and while no candles are stored.
 */
export function NextSteps({ hasCandles, isAdmin }: { hasCandles: boolean; isAdmin: boolean }) {
  return (
    <section className="card next-steps" aria-labelledby="next-steps-heading" data-testid="next-steps">
      <h2 id="next-steps-heading">Next steps</h2>
      <ol>
        <li data-testid="next-step-import">
          <strong>Import market data.</strong>{' '}
          {hasCandles ? (
            <>
              Candles are stored: see <a href="#candles-heading">Candles loaded</a> below.
            </>
          ) : (
            <>
              Load candles from a CSV file or download them from an exchange with the CLI (stop the server first when it uses the embedded database):{' '}
              <code>npm run cli -- import-candles --file F.csv --exchange binance --symbol BTC/USDT --timeframe 5m</code>. They appear under{' '}
              <a href="#candles-heading">Candles loaded</a>.
            </>
          )}
        </li>
        <li data-testid="next-step-backtest">
          <strong>Run a backtest</strong> of a strategy on the stored candles: <a href="/backtests">Backtests</a>.
        </li>
        <li data-testid="next-step-replay">
          <strong>Start a replay session</strong>, paper trading over stored candles at the speed you choose: <a href="/live#start-heading">Live sessions</a>.
        </li>
        {isAdmin && (
          <li data-testid="next-step-invite">
            <strong>Invite your team</strong> (viewers, traders, admins): <a href="/admin/users">Users</a>.
          </li>
        )}
      </ol>
    </section>
  );
}
