import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { knownParams, OFFSET_PAGING_MESSAGE } from './known-params';

const schema = knownParams({ limit: z.coerce.number().int().min(1).max(10).optional(), cursor: z.string().optional() }, (value, ctx) => {
  if (value.limit === 7) ctx.addIssue({ code: 'custom', path: ['limit'], message: 'not on a Sunday' });
});

const issues = (input: Record<string, string>) => {
  const parsed = schema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('knownParams', () => {
  it('parses known parameters and drops the framework ones starting with "_"', () => {
    expect(schema.parse({ limit: '5', cursor: 'abc', _rsc: 'x1' })).toEqual({ limit: 5, cursor: 'abc' });
  });

  it('names each unknown parameter, with the cursor hint for offset-paging names', () => {
    expect(issues({ page: '-1', limt: '5', offset: '10' })).toEqual([
      `page: ${OFFSET_PAGING_MESSAGE}`,
      'limt: not a parameter here; expected one of limit, cursor',
      `offset: ${OFFSET_PAGING_MESSAGE}`,
    ]);
  });

  it('runs the extra check on the parsed value and keeps the field errors of the shape', () => {
    expect(issues({ limit: '7' })).toEqual(['limit: not on a Sunday']);
    expect(issues({ limit: '1e9' })).toEqual(['limit: Too big: expected number to be <=10']);
  });
});
