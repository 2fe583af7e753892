/**
 * Generates one straight-line `evaluate` per rule strategy, so a rule strategy runs as fast as the
 * same strategy written by hand (`scripts/bench.ts`, line (d)).
 *
 * The closure interpreter (`rule-interpreter.ts`) calls one closure per condition and re-reads each
 * feature column per condition. The generated function instead:
 * - reads every feature column its conditions use once per call into a local (`f.sma[10]` once, even
 *   when the long and the short group of an SMA cross both compare it); the columns only the stop
 *   needs (close, ATR) are read on the rows where a signal fires;
 * - writes each condition as an inline comparison on those locals, with `all`/`any` short-circuiting
 *   through labelled blocks and `withinBars` as a small loop;
 * - folds what the rule fixes at compile time (absent groups, the stop kind, constant comparisons,
 *   the side of each branch) into the code.
 * Its output is the same function of the frame as the interpreter's, value for value (a property test
 * checks it on random rules and candles).
 *
 * Safety: the source is built from the validated rule, and only two kinds of token from the rule
 * reach it: identifiers from the rule language's enums (indicator and price names, checked against
 * `RULE_INDICATORS` / `RULE_PRICES`; operators only select code written here) and finite numbers
 * (periods, bar counts, constants, stop sizes), each checked where it is emitted. No string of the
 * rule (its name, its description) is ever interpolated: the reasons reach the function as arguments.
 * A final check refuses any source containing a quote, a backtick or a backslash.
 */
import { ValidationError } from '../../core/errors';
import { crossDirection, crossDirectionLevel } from '../cross';
import { COMMON_REASONS, setFlat } from '../strategy-adapter';
import { MAX_RULE_PERIOD, RULE_INDICATORS, RULE_PRICES, type RuleCondition, type RuleGroup, type RuleOperand, type RuleStrategy } from './rule-schema';
import type { RuleEvaluate, RuleEvaluateSetup } from './rule-interpreter';

/** Names the generated function receives as arguments (never text of the rule). */
const ARGUMENTS = ['setFlat', 'crossDirection', 'crossDirectionLevel', 'R_WARM_UP', 'R_NO_SIGNAL', 'R_LONG', 'R_SHORT', 'R_EXIT_LONG', 'R_EXIT_SHORT'] as const;

/** The only string literal allowed in the generated source: the strict-mode directive. */
const PROLOGUE = "'use strict';";

/** A whole number in `min..max`, as source text. @throws ValidationError naming `field` and the value. */
function integer(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, value, `expected a whole number in ${min}..${max} (rule code generation)`);
  }
  return String(value);
}

/**
 * A finite number as a source literal; `String` gives the shortest text that reads back as the same
 * double, so the generated comparison sees exactly the rule's value. Negative values are parenthesised.
 * @throws ValidationError naming `field` and the value when it is not a finite number.
 */
function numberLiteral(value: unknown, field: string): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(field, value, 'expected a finite number (rule code generation)');
  if (Object.is(value, -0)) return '(-0)';
  return value < 0 ? `(${String(value)})` : String(value);
}

/** An enum member as an identifier. @throws ValidationError naming `field` and the value when it is not one of `allowed`. */
function member<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(field, value, `expected one of ${allowed.join(', ')} (rule code generation)`);
  }
  return value as T;
}

/** Comparison operators of the binary rule operators, and their mirror (`v op column` is `column op' v`). */
const COMPARISONS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
const MIRRORED = { gt: 'lt', gte: 'lte', lt: 'gt', lte: 'gte', crossesAbove: 'crossesBelow', crossesBelow: 'crossesAbove' } as const;
type BinaryOperator = keyof typeof MIRRORED;

/** Source builder: the column locals of one rule and the statements of its evaluate. */
class RuleSource {
  private readonly columns = new Map<string, string>();
  readonly columnDeclarations: string[] = [];
  /** The cross at row `i` of each pair (`crossDirection(c0, c1, i)`), by call text: its local, computed on first use. */
  private readonly crosses = new Map<string, string>();
  readonly crossDeclarations: string[] = [];

  /** The local holding a column (declared once per rule): `f.close`, `f.sma[10]`. */
  column(access: string): string {
    let local = this.columns.get(access);
    if (!local) {
      local = `c${this.columns.size}`;
      this.columns.set(access, local);
      this.columnDeclarations.push(`  const ${local} = ${access};`);
    }
    return local;
  }

  /**
   * A column read where a signal fired: the local when the conditions already read it, else a direct
   * read (a column only the stop needs is not read on the rows that stay flat).
   */
  columnOnFire(access: string): string {
    return this.columns.get(access) ?? access;
  }

  /**
   * The cross direction `call` (a `crossDirection` call at row `i`) as an expression that computes it once per row: a
   * rule whose long and short groups test the same pair's cross (crosses above to go long, below to go short) looks
   * back through the pair's equal rows once, not twice. The local starts at 2, which no cross direction is, and takes
   * the call's value where a condition first reads it (conditions short-circuit, so an unread cross costs nothing).
   */
  private crossAtRow(call: string): string {
    let local = this.crosses.get(call);
    if (!local) {
      local = `x${this.crosses.size}`;
      this.crosses.set(call, local);
      this.crossDeclarations.push(`  let ${local} = 2;`);
    }
    return `(${local} === 2 ? (${local} = ${call}) : ${local})`;
  }

  /** The local of an operand's column, or null for a constant. */
  operand(o: RuleOperand, field: string): string | null {
    if (o.value !== undefined) return null;
    if (o.price !== undefined) return this.column(`f.${member(o.price, RULE_PRICES, `${field}.price`)}`);
    const indicator = member(o.indicator, RULE_INDICATORS, `${field}.indicator`);
    return this.column(`f.${indicator}[${integer(o.period, `${field}.period`, 1, MAX_RULE_PERIOD)}]`);
  }

  /** A condition as a boolean expression at row `row` (`i` or a loop variable). */
  condition(c: RuleCondition, field: string, row: string): string {
    const left = this.operand(c.left, `${field}.left`);
    if (c.op === 'rising' || c.op === 'falling') {
      if (left === null) throw new ValidationError(`${field}.left`, c.left, 'a constant never rises or falls (rule code generation)');
      const bars = integer(c.bars ?? 1, `${field}.bars`, 1, MAX_RULE_PERIOD);
      return `${left}[${row}] ${c.op === 'rising' ? '>' : '<'} ${left}[${row} - ${bars}]`;
    }
    const op = member(c.op, Object.keys(MIRRORED) as BinaryOperator[], `${field}.op`);
    if (c.right === undefined) throw new ValidationError(`${field}.right`, c.right, `operator "${op}" needs a right operand (rule code generation)`);
    const right = this.operand(c.right, `${field}.right`);
    if (left === null && right === null) {
      const a = c.left.value!;
      const b = c.right.value!;
      numberLiteral(a, `${field}.left.value`);
      numberLiteral(b, `${field}.right.value`);
      // Two constants: decided now; constants never cross.
      return op === 'gt' ? String(a > b) : op === 'gte' ? String(a >= b) : op === 'lt' ? String(a < b) : op === 'lte' ? String(a <= b) : 'false';
    }
    // Column on the left: a constant on the left is mirrored onto the right.
    const column = left ?? right!;
    const effective: BinaryOperator = left === null ? MIRRORED[op] : op;
    const constant = left === null ? numberLiteral(c.left.value, `${field}.left.value`) : right === null ? numberLiteral(c.right.value, `${field}.right.value`) : null;
    const other = (at: string) => constant ?? `${right}[${at}]`;
    // Crosses go through the one cross rule of the strategy API (engine/strategies/cross.ts), passed in as an argument.
    const call = constant === null ? `crossDirection(${column}, ${right}, ${row})` : `crossDirectionLevel(${column}, ${constant}, ${row})`;
    // At row i (not in a withinBars loop) each pair's cross is computed once per evaluate, whichever groups test it.
    const cross = row === 'i' ? this.crossAtRow(call) : call;
    switch (effective) {
      case 'crossesAbove':
        return `${cross} === 1`;
      case 'crossesBelow':
        return `${cross} === -1`;
      default:
        return `${column}[${row}] ${COMPARISONS[effective]} ${other(row)}`;
    }
  }

  /**
   * Statements that run `onHold` when a group holds, short-circuiting: `all` leaves its labelled
   * block at the first condition that fails, `any` runs `onHold` at the first that holds.
   */
  group(group: RuleGroup, field: string, label: string, onHold: string): string[] {
    const any = group.any !== undefined;
    const conditions = (any ? group.any : group.all) ?? [];
    const key = any ? 'any' : 'all';
    // An empty group never holds (the schema refuses one; the interpreter agrees).
    if (conditions.length === 0) return [];
    const lines = [`  ${label}: {`];
    conditions.forEach((c, n) => {
      const path = `${field}.${key}.${n}`;
      const within = Number(integer(c.withinBars ?? 1, `${path}.withinBars`, 1, MAX_RULE_PERIOD));
      if (within === 1) {
        const test = this.condition(c, path, 'i');
        lines.push(any ? `    if (${test}) { ${onHold} break ${label}; }` : `    if (!(${test})) break ${label};`);
        return;
      }
      // Held on any of the rows i, i-1, ..., i-within+1 (newest first, like the interpreter).
      const test = this.condition(c, path, 'j');
      const loop = `for (let j = i; j > i - ${within}; j--)`;
      if (any) lines.push(`    ${loop} if (${test}) { ${onHold} break ${label}; }`);
      else lines.push(`    {`, `      let held = false;`, `      ${loop} if (${test}) { held = true; break; }`, `      if (!held) break ${label};`, `    }`);
    });
    if (!any) lines.push(`    ${onHold}`);
    lines.push('  }');
    return lines;
  }
}

/** The protective stop of a fired signal, for a long (`side` 1) or a short (`side` -1) entry at `close`. */
function stopStatement(rule: RuleStrategy, setup: RuleEvaluateSetup, source: RuleSource, side: 1 | -1): string {
  // The interpreter computes close - side * m * atr and close * (1 - side * fraction). With side = ±1
  // those are exactly close ∓ m * atr and close * (1 ∓ fraction): multiplying by ±1 and negating are exact.
  const sign = side === 1 ? '-' : '+';
  if (rule.stop.atrMultiple !== undefined) {
    const multiple = numberLiteral(rule.stop.atrMultiple, 'stop.atrMultiple');
    const atr = source.columnOnFire(`f.atr[${integer(setup.stopAtrPeriod, 'stop.atrPeriod', 1, MAX_RULE_PERIOD)}]`);
    return `{ const atr = ${atr}[i]; out.stopHint = atr > 0 ? close ${sign} ${multiple} * atr : NaN; }`;
  }
  numberLiteral(rule.stop.percent, 'stop.percent');
  const fraction = numberLiteral(rule.stop.percent! / 100, 'stop.percent');
  return `out.stopHint = close * (1 ${sign} ${fraction});`;
}

/**
 * The source text of a rule's evaluate: the body of a function of {@link ARGUMENTS} that returns
 * `function evaluateRule(f, i, out)`. Exposed for tests (what reaches the source, and what does not).
 * @param rule a rule parsed by `parseRuleStrategy`; its enums and numbers are checked again here.
 * @throws ValidationError naming the field and the value of anything that is not an enum member or a finite number in range.
 */
export function ruleEvaluateSource(rule: RuleStrategy, setup: RuleEvaluateSetup): string {
  const source = new RuleSource();
  const body: string[] = [];
  const groupInto = (name: 'long' | 'short' | 'exitLong' | 'exitShort', onHold: string): string[] => {
    const group = rule[name];
    return group ? source.group(group, name, `${name}Rules`, onHold) : [];
  };
  const hasLong = rule.long !== undefined;
  const hasShort = rule.short !== undefined;
  body.push(hasLong ? '  let goLong = false;' : '  const goLong = false;', ...groupInto('long', 'goLong = true;'));
  body.push(hasShort ? '  let goShort = false;' : '  const goShort = false;', ...groupInto('short', 'goShort = true;'));
  if (rule.exitLong !== undefined || rule.exitShort !== undefined) {
    body.push('  let exit = 0;', ...groupInto('exitLong', 'exit = 1;'));
    if (rule.exitShort) body.push('  if (exit === 0) {', ...groupInto('exitShort', 'exit = -1;').map((l) => `  ${l}`), '  }');
  } else {
    body.push('  const exit = 0;');
  }
  const hasExit = rule.exitLong !== undefined || rule.exitShort !== undefined;
  body.push(
    '  if (goLong === goShort) {',
    ...(hasExit ? ['    setFlat(out, exit === 1 ? R_EXIT_LONG : exit === -1 ? R_EXIT_SHORT : R_NO_SIGNAL);', '    out.exit = exit;'] : ['    setFlat(out, R_NO_SIGNAL);']),
    '    return;',
    '  }',
    `  const close = ${source.columnOnFire('f.close')}[i];`,
  );
  const fired = (side: 1 | -1) => [
    `    out.side = ${side === 1 ? '1' : '(-1)'};`,
    '    out.strength = 1;',
    `    out.reason = ${side === 1 ? 'R_LONG' : 'R_SHORT'};`,
    '    out.exit = exit;',
    `    ${stopStatement(rule, setup, source, side)}`,
  ];
  if (hasLong && hasShort) body.push('  if (goLong) {', ...fired(1), '  } else {', ...fired(-1), '  }');
  else body.push('  {', ...fired(hasLong ? 1 : -1), '  }');
  const text = [
    PROLOGUE,
    'return function evaluateRule(f, i, out) {',
    `  if (i < ${integer(setup.warmup, 'warmup', 0, Number.MAX_SAFE_INTEGER)}) { setFlat(out, R_WARM_UP); return; }`,
    ...source.columnDeclarations,
    ...source.crossDeclarations,
    ...body,
    '};',
  ].join('\n');
  // Defence in depth: nothing but the prologue may hold a quote, a backtick or a backslash.
  if (/['"`\\]/.test(text.slice(PROLOGUE.length))) throw new ValidationError('rule', rule.name, 'generated rule code holds a string character; refusing to compile it');
  return text;
}

/**
 * Compiles a validated rule into its straight-line evaluate (see the module comment).
 * @throws ValidationError as {@link ruleEvaluateSource}.
 */
export function generateRuleEvaluate(rule: RuleStrategy, setup: RuleEvaluateSetup): RuleEvaluate {
  const factory = new Function(...ARGUMENTS, ruleEvaluateSource(rule, setup)) as (...args: unknown[]) => RuleEvaluate;
  const { reasons } = setup;
  return factory(setFlat, crossDirection, crossDirectionLevel, COMMON_REASONS.WarmUp, COMMON_REASONS.NoSignal, reasons.long, reasons.short, reasons.exitLong, reasons.exitShort);
}
