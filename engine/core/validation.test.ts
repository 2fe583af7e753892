import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from './errors';
import { fieldErrorsOf, isDeepFrozen, memoizedParser, parseOrThrow, reasonOf, validationErrorOf, withFieldPrefix } from './validation';

const schema = z.object({ name: z.string(), limits: z.strictObject({ maxLeverage: z.number().positive('must be above 0') }) });

describe('zod issues as validation errors', () => {
  it('names the first invalid field with the value found there and zod\'s reason', () => {
    const input = { name: 'x', limits: { maxLeverage: -2 } };
    const parsed = schema.safeParse(input);
    if (parsed.success) throw new Error('expected a failure');
    const error = validationErrorOf(parsed.error, input, { prefix: 'risk' });
    expect([error.field, error.value, error.message]).toEqual(['risk.limits.maxLeverage', -2, 'field "risk.limits.maxLeverage" was -2: must be above 0']);
  });

  it('reports an unknown key at its own path as "unknown field"', () => {
    expect(() => parseOrThrow(schema, { name: 'x', limits: { maxLeverage: 1, colour: 'red' } })).toThrow('field "limits.colour" was "red": unknown field');
  });

  it('names the root when the input itself is wrong', () => {
    expect(() => parseOrThrow(schema, 5, { root: 'request' })).toThrow('field "request" was 5: Invalid input: expected object, received number');
  });

  it('collects every issue as field errors under the prefix', () => {
    const parsed = schema.safeParse({ limits: { maxLeverage: 0, a: 1, b: 2 } });
    if (parsed.success) throw new Error('expected a failure');
    expect(fieldErrorsOf(parsed.error, { prefix: 'risk' })).toEqual({
      'risk.name': ['Invalid input: expected string, received undefined'],
      'risk.limits.maxLeverage': ['must be above 0'],
      'risk.limits.a': ['unknown field'],
      'risk.limits.b': ['unknown field'],
    });
  });

  it('moves a thrown ValidationError under a prefix, keeping value and reason', () => {
    const thrown = (() => {
      try {
        withFieldPrefix('params.ma-crossover', () => {
          throw new ValidationError('fastPeriod', 50, 'fastPeriod (50) must be below slowPeriod (20)');
        });
      } catch (error) {
        return error as ValidationError;
      }
    })();
    expect([thrown?.field, thrown?.value, thrown && reasonOf(thrown)]).toEqual(['params.ma-crossover.fastPeriod', 50, 'fastPeriod (50) must be below slowPeriod (20)']);
  });
});

describe('parsing a value that cannot change once', () => {
  it('tells deep-frozen plain values from everything else', () => {
    expect(isDeepFrozen(Object.freeze({ a: 1, b: Object.freeze([1, 'x', null]) }))).toBe(true);
    expect(isDeepFrozen({ a: 1 })).toBe(false);
    expect(isDeepFrozen(Object.freeze({ a: { b: 1 } }))).toBe(false);
    expect(isDeepFrozen(Object.freeze({ get a() { return Math.random(); } }))).toBe(false);
    expect(isDeepFrozen(Object.freeze(new Date(0)))).toBe(false);
    expect(isDeepFrozen(Object.freeze({ f: () => 1 }))).toBe(false);
  });

  it('returns the kept output for a deep-frozen input, parses any other input each time', () => {
    const parse = memoizedParser(schema, { root: 'request' });
    const frozen = Object.freeze({ name: 'x', limits: Object.freeze({ maxLeverage: 1 }) });
    const first = parse(frozen);
    expect(parse(frozen)).toBe(first);
    expect(Object.isFrozen(first.limits)).toBe(true);
    const open = { name: 'x', limits: { maxLeverage: 1 } };
    expect(parse(open)).not.toBe(parse(open));
    expect(parse(open)).toEqual(first);
  });

  it('throws for a bad frozen input every time, as parseOrThrow does', () => {
    const parse = memoizedParser(schema, { prefix: 'risk' });
    const bad = Object.freeze({ name: 'x', limits: Object.freeze({ maxLeverage: -2 }) });
    for (let i = 0; i < 2; i++) expect(() => parse(bad)).toThrow('field "risk.limits.maxLeverage" was -2: must be above 0');
  });
});
