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

/** Deepest nesting of arrays/objects accepted in input; deeper input is refused (it would only exhaust the stack downstream). */
export const MAX_INPUT_DEPTH = 64;

/**
 * The first string (or object key) under `value` that cannot be stored, or null when all of it can.
 * Input nested deeper than {@link MAX_INPUT_DEPTH} is reported too. Iterative: no input can exhaust the stack.
 */
export function findUnstorableText(value: unknown, path: string[] = []): UnstorableText | null {
  type Frame = { value: unknown; key: string | null; parent: Frame | null; depth: number };
  const pathOf = (frame: Frame): string[] => {
    const keys: string[] = [];
    for (let f: Frame | null = frame; f !== null; f = f.parent) if (f.key !== null) keys.push(f.key);
    return [...path, ...keys.reverse()];
  };
  const stack: Frame[] = [{ value, key: null, parent: null, depth: 0 }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const v = frame.value;
    if (typeof v === 'string') {
      const reason = unstorableTextReason(v);
      if (reason !== null) return { path: pathOf(frame), value: v, reason };
      continue;
    }
    const isArray = Array.isArray(v);
    const isPlain = !isArray && typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
    if (!isArray && !isPlain) continue;
    if (frame.depth >= MAX_INPUT_DEPTH) return { path: pathOf(frame), value: '…', reason: `is nested deeper than ${MAX_INPUT_DEPTH} levels` };
    const children: Frame[] = [];
    if (isArray) {
      const items = v as unknown[];
      for (let i = 0; i < items.length; i++) children.push({ value: items[i], key: String(i), parent: frame, depth: frame.depth + 1 });
    } else {
      for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
        const keyReason = unstorableTextReason(key);
        if (keyReason !== null) return { path: [...pathOf(frame), key], value: key, reason: `the name ${keyReason}` };
        children.push({ value: item, key, parent: frame, depth: frame.depth + 1 });
      }
    }
    // Depth-first in document order: the first offending field is the one reported.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
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
