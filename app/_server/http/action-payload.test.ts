import { describe, expect, it } from 'vitest';
import { checkFormActionBody, checkTextActionBody, isFormActionPost } from './action-payload';

const form = (entries: [string, string][]) => {
  const data = new FormData();
  for (const [k, v] of entries) data.append(k, v);
  return data;
};

describe('checkTextActionBody', () => {
  it('accepts what React encodes for plain values', () => {
    expect(checkTextActionBody(JSON.stringify([{ email: 'a@b.example', role: 'viewer', note: '$$dollar', when: '$D2024-01-01T00:00:00.000Z', n: '$NaN', u: '$undefined', big: '$n12' }]))).toBeNull();
    expect(checkTextActionBody('[]')).toBeNull();
  });

  it.each([
    ['', 'the argument list is not JSON'],
    ['{"a":NaN}', 'the argument list is not JSON'],
    ['{"a":1}', 'the argument list is not an array'],
    ['"$@1"', 'the argument list is not an array'],
    ['[1,2,3,4,5]', 'more than 4 arguments (5)'],
    [JSON.stringify(Array.from({ length: 100_000 }, (_, i) => i)), 'more than 4 arguments (100000)'],
    ['[' + '['.repeat(200_000) + ']'.repeat(200_000) + ']', 'nested deeper than 32 levels'],
    ['[' + '{"a":'.repeat(40) + '1' + '}'.repeat(40) + ']', 'nested deeper than 32 levels'],
    ['["$@1"]', 'unsupported reference "$@1"'],
    ['[{"x":"$K1"}]', 'unsupported reference "$K1"'],
    ['["$Q1"]', 'unsupported reference "$Q1"'],
    ['["$T"]', 'unsupported reference "$T"'],
    ['["$"]', 'unsupported reference "$"'],
    ['["$n1x"]', 'unsupported reference "$n1x"'],
  ])('refuses %j', (body, reason) => {
    expect(checkTextActionBody(body)).toBe(reason);
  });
});

describe('checkFormActionBody', () => {
  it('accepts FormData as React sends it: part "0" referencing its fields', () => {
    expect(checkFormActionBody(form([['0', '["$K1"]'], ['_1_symbol', 'BTC/USDT'], ['_1_strategies', 'a'], ['_1_strategies', 'b']]))).toBeNull();
    // A form without inputs (halt/resume buttons): an empty FormData.
    expect(checkFormActionBody(form([['0', '["$K1"]']]))).toBeNull();
  });

  it.each([
    [[['_1_symbol', 'x']], 'part "0" (the argument list) is missing'],
    [[['$ACTION_ID_abc', ''], ['symbol', 'x']], 'part "0" (the argument list) is missing'],
    [[['0', '["$K1"]'], ['_1_\u0000', 'x']], 'a part name holds a control character: "_1_\\u0000"'],
    [[['0', '["$K1"]'], ['_1_symbol', 'x'], ['email', 'y']], 'unexpected part "email"'],
    [[['0', '["$K1"]'], ['1_symbol', 'x']], 'unexpected part "1_symbol"'],
    [[['0', '{']], 'the argument list is not JSON'],
    [[['0', '["$B1"]'], ['_1_x', 'y']], 'unsupported reference "$B1"'],
  ] as unknown as [[string, string][], string][])('refuses %j', (entries, reason) => {
    expect(checkFormActionBody(form(entries))).toBe(reason);
  });
});

describe('isFormActionPost', () => {
  it('spots a form that names a server action without JavaScript', () => {
    expect(isFormActionPost(form([['$ACTION_ID_7f00', ''], ['email', 'a@b.example']]))).toBe(true);
    expect(isFormActionPost(form([['$ACTION_REF_1', ''], ['1_$ACTION_ID_7f00', '']]))).toBe(true);
    expect(isFormActionPost(form([['email', 'a@b.example']]))).toBe(false);
  });
});
