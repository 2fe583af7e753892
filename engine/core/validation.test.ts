import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from './errors';
import { fieldErrorsOf, parseOrThrow, reasonOf, validationErrorOf, withFieldPrefix } from './validation';

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
