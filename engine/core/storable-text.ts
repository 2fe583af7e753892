/**
 * Text the database can store. PostgreSQL (and PGlite) refuse U+0000 in `text`/`jsonb` values, and an
 * unpaired UTF-16 surrogate (U+D800..U+DFFF alone) is not valid Unicode, so it cannot be encoded as
 * UTF-8 for the wire. Such text is refused where it enters (route input, webhook payloads, job params),
 * naming the field, instead of failing a database write later.
 */
import type { z } from 'zod';

/** With the `u` flag a paired surrogate is one code point, so only unpaired ones match. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `text` cannot be stored, or null when it can. */
export function unstorableTextReason(text: string): string | null {
  if (text.includes('\u0000')) return 'contains the NUL character (U+0000), which the database cannot store';
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate (U+D800..U+DFFF), which is not valid Unicode';
  return null;
}

/** Where text that cannot be stored was found: the path of keys (`["params", "symbol"]`), the text and why. */
export interface UnstorableText {
  path: string[];
  value: string;
  reason: string;
}

/** The first string (or object key) under `value` that cannot be stored, or null when all of it can. */
export function findUnstorableText(value: unknown, path: string[] = []): UnstorableText | null {
  if (typeof value === 'string') {
    const reason = unstorableTextReason(value);
    return reason === null ? null : { path, value, reason };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    for (const [key, item] of Object.entries(value)) {
      const keyReason = unstorableTextReason(key);
      if (keyReason !== null) return { path: [...path, key], value: key, reason: `the name ${keyReason}` };
      const found = findUnstorableText(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}

/**
 * A zod check for any input (a string, an object of params): adds one issue at the offending path when some
 * text under it cannot be stored. Use with `.superRefine(storableTextCheck)`.
 */
export function storableTextCheck(value: unknown, ctx: z.RefinementCtx): void {
  const found = findUnstorableText(value);
  if (found) ctx.addIssue({ code: 'custom', path: found.path, message: found.reason });
}
