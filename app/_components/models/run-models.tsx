/**
 * What a run's stored `models` config says, a line per model it used (kind, version, parameters), or that every model
 * was off: a backtest's page and a study's page (whose trials all ran with the same versions).
 */
import { describeRunModels } from './model-form';

export function RunModels({ models, testId }: { models: unknown; testId: string }) {
  const lines = describeRunModels(models);
  return (
    <dd data-testid={testId}>
      {lines.length === 0 ? (
        'none (regime, volatility and stop-distance models off)'
      ) : (
        <ul className="plain-list">
          {lines.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
    </dd>
  );
}
