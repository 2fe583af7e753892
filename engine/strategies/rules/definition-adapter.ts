/**
 * A strategy adapter from a strategy definition and untrusted params: what the loop runs. Rule
 * strategies, hand-written definitions in tests and the bench go through it.
 */
import { withFieldPrefix, parseOrThrow } from '../../core/validation';
import type { StrategyAdapter } from '../strategy-adapter';
import type { StrategyDefinition } from '../strategy-api';
import { ExitPolicySchema } from '../exit-policy';

/**
 * Parses `params` with the definition's schema (`undefined` = defaults), runs its `check`, and
 * freezes an adapter whose `evaluate` passes the parsed params.
 * @throws ValidationError naming `params.<field>` for bad params, or the definition's check error.
 */
export function adapterFromDefinition(definition: StrategyDefinition, params?: unknown): StrategyAdapter {
  const p = parseOrThrow(definition.params, params ?? {}, { prefix: 'params' }) as Record<string, unknown>;
  withFieldPrefix('params', () => definition.check?.(p));
  const exitsInput = definition.exits?.(p);
  const exits = exitsInput === undefined ? undefined : parseOrThrow(ExitPolicySchema, exitsInput, { prefix: 'exits' });
  const evaluate = definition.evaluate;
  return Object.freeze({
    name: definition.name,
    config: Object.freeze(p),
    features: definition.indicators(p),
    warmup: definition.warmup(p),
    version: definition.version,
    ...(exits ? { exits } : {}),
    evaluate: (f, i, out) => evaluate(f, i, out, p),
  } satisfies StrategyAdapter);
}
