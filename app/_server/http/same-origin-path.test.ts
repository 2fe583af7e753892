import { describe, expect, it } from 'vitest';
import { sameOriginPath } from './same-origin-path';

describe('sameOriginPath', () => {
  it.each([
    ['/%5Cevil.example/phish decoded', '/\\evil.example/phish'],
    ['a tab after the slash', '/\t/evil.example'],
    ['a protocol-relative URL', '//evil.example/x'],
    ['a backslash pair', '\\\\evil.example'],
    ['an absolute URL', 'https://evil.example/'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a relative path', 'journal'],
    ['a newline before the host', '/\n/evil.example'],
  ])('refuses %s', (_name, value) => {
    expect(sameOriginPath(value)).toBe('/');
  });

  it('keeps a same-origin path with its query and fragment', () => {
    expect(sameOriginPath('/journal/trades?symbol=BTC%2FUSDT#top')).toBe('/journal/trades?symbol=BTC%2FUSDT#top');
  });

  it('normalises dot segments that stay on the origin', () => {
    expect(sameOriginPath('/a/../admin/users')).toBe('/admin/users');
  });

  it('answers the fallback for a missing or non-string value', () => {
    expect(sameOriginPath(undefined)).toBe('/');
    expect(sameOriginPath(['/a', '/b'], '/home')).toBe('/home');
  });
});
