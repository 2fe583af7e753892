/**
 * Successive halving (Jamieson & Talwalkar, "Non-stochastic Best Arm Identification and Hyperparameter
 * Optimization", AISTATS 2016; the inner loop of Hyperband, Li et al., JMLR 2018): evaluate every
 * candidate on a small budget (e.g. a short date range), keep the best 1/eta, evaluate the survivors on
 * the next, larger budget, and so on until the last budget. Cheap candidates are discarded early, so most
 * of the evaluation effort goes to the promising ones.
 *
 * Pure: the evaluation (a backtest, scored by `objectiveOf`) is injected; evaluations run one after the
 * other in candidate order, so a deterministic `evaluate` gives a deterministic result.
 */
import { ValidationError } from '../core/errors';

/** Default reduction factor: keep the best third at each rung. */
export const DEFAULT_ETA = 3;

/** One candidate's score on one rung. `index` is its position in the input list. */
export interface HalvingScore<C> {
  readonly candidate: C;
  readonly index: number;
  /** Higher is better; NaN was ranked as -Infinity. */
  readonly score: number;
}

/** One rung: the budget, every result on it (best first), and how many of them went on to the next rung. */
export interface HalvingRung<C, B> {
  readonly budget: B;
  readonly results: readonly HalvingScore<C>[];
  /** Candidates promoted to the next rung (0 on the last rung). */
  readonly promoted: number;
}

/** The outcome: every rung, the best candidate on the last budget and the number of evaluations made. */
export interface SuccessiveHalvingResult<C, B> {
  readonly rungs: readonly HalvingRung<C, B>[];
  readonly best: HalvingScore<C>;
  readonly evaluations: number;
}

/** Inputs of {@link successiveHalving}. */
export interface SuccessiveHalvingOptions<C, B> {
  /** The candidates (non-empty), e.g. from `gridCandidates` or `randomCandidates`. */
  readonly candidates: readonly C[];
  /** Budgets from smallest to largest (non-empty); rung r evaluates its survivors on `budgets[r]`. */
  readonly budgets: readonly B[];
  /** Keep floor(n / eta) (at least 1) of n candidates at each rung; a finite number > 1. Default {@link DEFAULT_ETA}. */
  readonly eta?: number;
  /** Scores a candidate on a budget; higher is better. */
  evaluate(candidate: C, budget: B): number | Promise<number>;
}

/** Best first: higher score, then lower input index (ties keep the input order). */
function compareScores<C>(a: HalvingScore<C>, b: HalvingScore<C>): number {
  if (a.score !== b.score) return b.score > a.score ? 1 : -1;
  return a.index - b.index;
}

/**
 * Runs successive halving. With n candidates at a rung that is not the last, the best
 * max(1, floor(n / eta)) go on to the next budget (ties broken by input order); every survivor is
 * evaluated on every budget up to the last, and the best on the last budget wins. A NaN score ranks as
 * -Infinity. Example: 9 candidates, 3 budgets, eta 3 -> 9 + 3 + 1 = 13 evaluations.
 * @throws ValidationError on `candidates` or `budgets` when empty, `eta` when not a finite number > 1;
 *   whatever `evaluate` throws is passed on.
 */
export async function successiveHalving<C, B>(options: SuccessiveHalvingOptions<C, B>): Promise<SuccessiveHalvingResult<C, B>> {
  const { candidates, budgets, evaluate } = options;
  const eta = options.eta ?? DEFAULT_ETA;
  if (!Array.isArray(candidates) || candidates.length === 0) throw new ValidationError('candidates', Array.isArray(candidates) ? candidates.length : candidates, 'expected at least one candidate');
  if (!Array.isArray(budgets) || budgets.length === 0) throw new ValidationError('budgets', Array.isArray(budgets) ? budgets.length : budgets, 'expected at least one budget');
  if (typeof eta !== 'number' || !Number.isFinite(eta) || eta <= 1) throw new ValidationError('eta', eta, 'expected a finite number > 1');
  let alive: { candidate: C; index: number }[] = candidates.map((candidate, index) => ({ candidate, index }));
  const rungs: HalvingRung<C, B>[] = [];
  let evaluations = 0;
  for (let r = 0; r < budgets.length; r++) {
    const budget = budgets[r];
    const results: HalvingScore<C>[] = [];
    for (const { candidate, index } of alive) {
      const raw = await evaluate(candidate, budget);
      evaluations++;
      results.push({ candidate, index, score: typeof raw === 'number' && !Number.isNaN(raw) ? raw : -Infinity });
    }
    results.sort(compareScores);
    const last = r === budgets.length - 1;
    const promoted = last ? 0 : Math.max(1, Math.floor(results.length / eta));
    rungs.push(Object.freeze({ budget, results: Object.freeze(results), promoted }));
    alive = results.slice(0, promoted).map(({ candidate, index }) => ({ candidate, index }));
  }
  const final = rungs[rungs.length - 1].results;
  return { rungs, best: final[0], evaluations };
}
