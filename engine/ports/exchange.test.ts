import { describe, expect, it } from 'vitest';
import { clientIdIs, clientIdText } from './exchange';

describe('client ids in parts', () => {
  it('build the stem followed by the time as text, or the stem alone without a time', () => {
    expect(clientIdText('run-1-entry-', 1_704_067_500_000)).toBe('run-1-entry-1704067500000');
    expect(clientIdText('run-1-entry-', 0)).toBe('run-1-entry-0');
    expect(clientIdText('run-1-entry-', -300_000)).toBe('run-1-entry--300000');
    expect(clientIdText('whole-id', NaN)).toBe('whole-id');
  });

  it('tell an id of a stem and time exactly as comparing with the built text does', () => {
    const stems = ['s-', 'run-1-stop-', 'a'];
    const times = [0, 7, 300_000, 1_704_067_500_000, -300_000, 2 ** 53 - 1, 2 ** 53 + 2, 0.5, NaN];
    const texts = ['s-0', 's-00', 's-7', 's-07', 's--0', 's-', 's-300000', 's-3000000', 's-30000', 'run-1-stop-1704067500000', 'run-1-stop-1704067500000x', 'a-300000', 'a1704067500000', 's-9007199254740991', 's-9007199254740994', 's-0.5', 's-', 'a', 'run-1-stop-'];
    for (const stem of stems) {
      for (const timeMs of times) {
        for (const text of [...texts, clientIdText(stem, timeMs)]) expect([stem, timeMs, text, clientIdIs(text, stem, timeMs)]).toEqual([stem, timeMs, text, text === clientIdText(stem, timeMs)]);
      }
    }
  });
});
