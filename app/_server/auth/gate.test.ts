import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Root } from '../root';
import { action, formDataToObject, gateMetaOf, route, type ActionGateMeta, type RouteGateMeta } from './gate';

/** Public endpoints need nothing from the root but its logger. */
const root = { logger: pino({ level: 'silent' }) } as unknown as Root;
const strict = z.strictObject({ symbol: z.string() });

describe('the gate with prototype-named fields', () => {
  it('answers 400 naming an unknown "constructor" or "__proto__" field, not 500', async () => {
    const handler = route({ role: 'public', authenticatedBy: 'test', input: strict }, async ({ input }) => input);
    const meta = gateMetaOf(handler) as RouteGateMeta;
    const response = await meta.run(root, new Request('http://localhost/api/x?symbol=BTC&constructor=1&__proto__=2&toString=3'), {});
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; fieldErrors: Record<string, string[]> } };
    expect(body.error.code).toBe('bad_request:input');
    expect(Object.keys(body.error.fieldErrors)).toEqual(['(input)']);
    expect(body.error.fieldErrors['(input)'][0]).toBe('Unrecognized keys: "constructor", "__proto__", "toString"');
  });

  it('names a nested field called "constructor" in the field errors', async () => {
    const handler = route({ role: 'public', authenticatedBy: 'test', input: z.object({ constructor: z.number() }) }, async () => null);
    const response = await (gateMetaOf(handler) as RouteGateMeta).run(
      root,
      new Request('http://localhost/api/x', { method: 'POST', body: JSON.stringify({ constructor: 'x' }) }),
      {},
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { fieldErrors: Record<string, string[]> } }).error.fieldErrors).toEqual({
      constructor: ['Invalid input: expected number, received string'],
    });
  });

  it('keeps form fields named "__proto__" as data', async () => {
    const form = new FormData();
    form.append('__proto__', 'a');
    form.append('__proto__', 'b');
    form.append('symbol', 'BTC/USDT');
    const object = formDataToObject(form);
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(object)).toEqual(['__proto__', 'symbol']);
    const act = action({ role: 'public', authenticatedBy: 'test', input: strict }, async ({ input }) => input);
    const result = await (gateMetaOf(act) as ActionGateMeta).run(root, new Headers(), form);
    expect(result).toMatchObject({ ok: false, status: 400, error: { code: 'bad_request:input' } });
  });
});
