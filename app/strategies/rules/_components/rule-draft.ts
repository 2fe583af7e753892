/**
 * The editor's form state of a rule strategy (text as typed, so a half-typed number is shown and
 * named rather than lost) and its conversion to and from the rule JSON the engine validates.
 */
import { BINARY_RULE_OPERATORS, type RuleOperator } from '@/engine/strategies/rules/rule-schema';

export const GROUP_KEYS = ['long', 'short', 'exitLong', 'exitShort'] as const;
export type GroupKey = (typeof GROUP_KEYS)[number];

export const GROUP_LABELS: Record<GroupKey, string> = {
  long: 'Long entry',
  short: 'Short entry',
  exitLong: 'Long exit',
  exitShort: 'Short exit',
};

export type OperandKind = 'indicator' | 'price' | 'value';

export interface OperandDraft {
  kind: OperandKind;
  indicator: string;
  period: string;
  price: string;
  value: string;
}

export interface ConditionDraft {
  left: OperandDraft;
  op: RuleOperator;
  right: OperandDraft;
  bars: string;
  withinBars: string;
}

export interface GroupDraft {
  enabled: boolean;
  mode: 'all' | 'any';
  conditions: ConditionDraft[];
}

export interface RuleDraft {
  name: string;
  description: string;
  groups: Record<GroupKey, GroupDraft>;
  stopKind: 'atr' | 'percent';
  atrMultiple: string;
  atrPeriod: string;
  percent: string;
  takeProfitR: string;
  trailingPercent: string;
  timeStopBars: string;
}

export const isBinary = (op: RuleOperator) => BINARY_RULE_OPERATORS.includes(op);

export function newOperand(kind: OperandKind = 'indicator'): OperandDraft {
  return { kind, indicator: 'sma', period: '20', price: 'close', value: '0' };
}

export function newCondition(): ConditionDraft {
  return { left: newOperand('price'), op: 'gt', right: newOperand('indicator'), bars: '', withinBars: '' };
}

export function newDraft(): RuleDraft {
  const group = (enabled: boolean): GroupDraft => ({ enabled, mode: 'all', conditions: enabled ? [newCondition()] : [] });
  return {
    name: '',
    description: '',
    groups: { long: group(true), short: group(false), exitLong: group(false), exitShort: group(false) },
    stopKind: 'atr',
    atrMultiple: '2',
    atrPeriod: '14',
    percent: '',
    takeProfitR: '',
    trailingPercent: '',
    timeStopBars: '',
  };
}

/** Blank -> left out; a number -> the number; anything else as typed (the schema names it). */
function num(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

function operandOf(o: OperandDraft): Record<string, unknown> {
  if (o.kind === 'price') return { price: o.price };
  if (o.kind === 'value') return { value: num(o.value) };
  return { indicator: o.indicator, period: num(o.period) };
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The rule JSON of a draft (what the schema, the API and the engine read). */
export function ruleOfDraft(d: RuleDraft): Record<string, unknown> {
  const rule: Record<string, unknown> = { name: d.name.trim() };
  if (d.description.trim()) rule.description = d.description.trim();
  for (const key of GROUP_KEYS) {
    const g = d.groups[key];
    if (!g.enabled) continue;
    rule[key] = {
      [g.mode]: g.conditions.map((c) =>
        withoutUndefined({
          left: operandOf(c.left),
          op: c.op,
          right: isBinary(c.op) ? operandOf(c.right) : undefined,
          bars: isBinary(c.op) ? undefined : num(c.bars),
          withinBars: num(c.withinBars),
        }),
      ),
    };
  }
  rule.stop = d.stopKind === 'atr' ? withoutUndefined({ atrMultiple: num(d.atrMultiple), atrPeriod: num(d.atrPeriod) }) : { percent: num(d.percent) };
  const exits = withoutUndefined({
    takeProfit: num(d.takeProfitR) === undefined ? undefined : [{ r: num(d.takeProfitR) }],
    trailingStop: num(d.trailingPercent) === undefined ? undefined : { percent: num(d.trailingPercent) },
    timeStop: num(d.timeStopBars) === undefined ? undefined : { bars: num(d.timeStopBars) },
  });
  if (Object.keys(exits).length > 0) rule.exits = exits;
  return rule;
}

const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));

function operandDraftOf(o: Record<string, unknown> | undefined): OperandDraft {
  const base = newOperand();
  if (!o) return base;
  if (o.price !== undefined) return { ...base, kind: 'price', price: text(o.price) };
  if (o.value !== undefined) return { ...base, kind: 'value', value: text(o.value) };
  return { ...base, kind: 'indicator', indicator: text(o.indicator), period: text(o.period) };
}

/** The draft of a stored rule (the editor of a saved strategy opens on it). */
export function draftOfRule(rule: Record<string, unknown>): RuleDraft {
  const d = newDraft();
  d.name = text(rule.name);
  d.description = text(rule.description);
  for (const key of GROUP_KEYS) {
    const g = rule[key] as { all?: Record<string, unknown>[]; any?: Record<string, unknown>[] } | undefined;
    if (!g) {
      d.groups[key] = { enabled: false, mode: 'all', conditions: [] };
      continue;
    }
    const list = g.all ?? g.any ?? [];
    d.groups[key] = {
      enabled: true,
      mode: g.any ? 'any' : 'all',
      conditions: list.map((c) => ({
        left: operandDraftOf(c.left as Record<string, unknown>),
        op: c.op as RuleOperator,
        right: operandDraftOf(c.right as Record<string, unknown> | undefined),
        bars: text(c.bars),
        withinBars: text(c.withinBars),
      })),
    };
  }
  const stop = (rule.stop ?? {}) as Record<string, unknown>;
  d.stopKind = stop.percent !== undefined ? 'percent' : 'atr';
  d.atrMultiple = text(stop.atrMultiple);
  d.atrPeriod = text(stop.atrPeriod);
  d.percent = text(stop.percent);
  const exits = (rule.exits ?? {}) as { takeProfit?: { r?: number }[]; trailingStop?: { percent?: number }; timeStop?: { bars?: number } };
  d.takeProfitR = text(exits.takeProfit?.[0]?.r);
  d.trailingPercent = text(exits.trailingStop?.percent);
  d.timeStopBars = text(exits.timeStop?.bars);
  return d;
}
