import { describe, expect, it } from 'vitest';
import { createPromiseMemo } from './promise-memo';

describe('createPromiseMemo', () => {
  it('shares one computation per key, drops the least recently used, and forgets failures and refused results', async () => {
    const computed: string[] = [];
    const memo = createPromiseMemo<number | null>(2, (value) => value !== null);
    const compute = (key: string, value: number | null) => () => (computed.push(key), Promise.resolve(value));
    const [a1, a2] = await Promise.all([memo.get('a', compute('a', 1)), memo.get('a', compute('a', 9))]);
    expect([a1, a2]).toEqual([1, 1]);
    await memo.get('b', compute('b', 2));
    await memo.get('a', compute('a', 9)); // a is now the most recent: b goes when c arrives
    await memo.get('c', compute('c', 3));
    expect(await memo.get('b', compute('b', 4))).toBe(4);
    expect(await memo.get('n', compute('n', null))).toBeNull();
    await memo.get('n', compute('n', null));
    await expect(memo.get('f', () => (computed.push('f'), Promise.reject(new Error('down'))))).rejects.toThrow('down');
    await memo.get('f', compute('f', 5));
    expect(computed).toEqual(['a', 'b', 'c', 'b', 'n', 'n', 'f', 'f']);
    memo.deleteWhere((key) => key === 'f');
    expect(memo.size()).toBe(1);
  });
});
