import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findUnstorableText, storableTextCheck, unstorableTextReason } from './storable-text';

describe('storable text', () => {
  it('accepts ordinary text, emoji (a paired surrogate) and other control characters', () => {
    expect(unstorableTextReason('tv-breakout 🚀\t\n\u0001')).toBeNull();
  });

  it('refuses NUL and unpaired surrogates with the reason', () => {
    expect(unstorableTextReason('a\u0000b')).toBe('contains the NUL character (U+0000), which the database cannot store');
    expect(unstorableTextReason('a\ud800')).toBe('contains an unpaired UTF-16 surrogate (U+D800..U+DFFF), which is not valid Unicode');
    expect(unstorableTextReason('\udc00b')).toBe('contains an unpaired UTF-16 surrogate (U+D800..U+DFFF), which is not valid Unicode');
  });

  it('finds the first bad string or key in nested input, with its path', () => {
    expect(findUnstorableText({ a: 'ok', params: { tags: ['x', 'y\u0000'] } })).toEqual({
      path: ['params', 'tags', '1'],
      value: 'y\u0000',
      reason: 'contains the NUL character (U+0000), which the database cannot store',
    });
    expect(findUnstorableText({ ['k\u0000']: 1 })).toEqual({ path: ['k\u0000'], value: 'k\u0000', reason: 'the name contains the NUL character (U+0000), which the database cannot store' });
    expect(findUnstorableText({ a: 1, b: [true, null, 'fine'] })).toBeNull();
  });

  it('as a zod check, puts the issue at the offending field', () => {
    const result = z.object({ strategy: z.string() }).superRefine(storableTextCheck).safeParse({ strategy: 'x\u0000' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([[['strategy'], 'contains the NUL character (U+0000), which the database cannot store']]);
  });
});
