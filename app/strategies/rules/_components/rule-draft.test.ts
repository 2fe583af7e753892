import { describe, expect, it } from 'vitest';
import { ruleStrategyErrors } from '@/engine/strategies/rules/rule-schema';
import { draftOfRule, newDraft, ruleOfDraft } from './rule-draft';

const RULE = {
  name: 'rsi-dip',
  description: 'RSI dip with a trend filter',
  long: {
    all: [
      { left: { indicator: 'rsi', period: 14 }, op: 'crossesAbove', right: { value: 30 }, withinBars: 3 },
      { left: { price: 'close' }, op: 'gt', right: { indicator: 'ema', period: 200 } },
    ],
  },
  exitLong: { any: [{ left: { indicator: 'rsi', period: 14 }, op: 'falling', bars: 2 }] },
  stop: { percent: 2.5 },
  exits: { takeProfit: [{ r: 2 }], trailingStop: { percent: 1.5 }, timeStop: { bars: 48 } },
};

describe('rule editor draft', () => {
  it('turns a stored rule into a draft and back into the same rule', () => {
    expect(ruleOfDraft(draftOfRule(RULE))).toEqual(RULE);
    expect(ruleStrategyErrors(ruleOfDraft(draftOfRule(RULE)))).toEqual({});
  });

  it('keeps text that is not a number so the schema names it, and leaves blanks out', () => {
    const draft = newDraft();
    draft.name = 'typed-rule';
    draft.groups.long.conditions[0].right.period = '2o';
    draft.atrPeriod = '';
    const rule = ruleOfDraft(draft);
    expect(rule).toEqual({
      name: 'typed-rule',
      long: { all: [{ left: { price: 'close' }, op: 'gt', right: { indicator: 'sma', period: '2o' } }] },
      stop: { atrMultiple: 2 },
    });
    expect(Object.keys(ruleStrategyErrors(rule))).toEqual(['long.all.0.right.period']);
  });
});
