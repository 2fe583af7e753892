/**
 * Post-sign-in destinations: only a path on this app's own origin. The value is parsed as a URL
 * against a placeholder origin, the way the browser will resolve it, so `/\evil.example`, `/\t/evil.example`
 * or `//evil.example` (which browsers read as another host) are refused rather than pattern-matched.
 */
const PLACEHOLDER_ORIGIN = 'http://app.invalid';

/** The same-origin path (with query and fragment) `value` points to, or `fallback` when it points anywhere else. */
export function sameOriginPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !value.startsWith('/')) return fallback;
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
