/**
 * Durations in human units, read and written the same way: "1h 30m", "90m", "45s", "1d 2h",
 * "250ms", "1.5h". Units (case-insensitive): d/day/days, h/hr/hrs/hour/hours, m/min/mins/minute/minutes,
 * s/sec/secs/second/seconds, ms/millisecond(s); each at most once, spaces optional ("1h30m"),
 * and a plain "0" is zero. The value is whole milliseconds; a number without a unit (other than 0)
 * is refused, because "90" could mean seconds or milliseconds.
 */

const UNIT_MS: Record<string, number> = {
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  s: 1_000, sec: 1_000, secs: 1_000, second: 1_000, seconds: 1_000,
  ms: 1, millisecond: 1, milliseconds: 1,
};

/** Units written by {@link formatDurationMs}, largest first. */
const WRITTEN_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** The result of {@link parseDurationMs}: whole milliseconds, or why the text is not a duration. */
export type DurationParse = { ok: true; ms: number } | { ok: false; reason: string };

const PART = /(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)/gy;

/**
 * Reads a duration such as "1h 30m" into whole milliseconds (>= 0). Never throws: bad text gives
 * `{ ok: false, reason }` with a reason to show next to the field.
 */
export function parseDurationMs(text: string): DurationParse {
  const input = text.trim().toLowerCase();
  const hint = 'write it with units, e.g. "1h 30m", "90m", "45s" or "250ms"';
  if (input === '') return { ok: false, reason: `empty; ${hint}` };
  if (/^0+(\.0+)?$/.test(input)) return { ok: true, ms: 0 };
  if (/^\d+(\.\d+)?$/.test(input)) return { ok: false, reason: `a number needs a unit; ${hint}` };
  let total = 0;
  const seen = new Set<number>();
  let at = 0;
  PART.lastIndex = 0;
  while (at < input.length) {
    PART.lastIndex = at;
    const match = PART.exec(input);
    if (!match) return { ok: false, reason: `cannot read "${input.slice(at)}"; ${hint}` };
    const unit = UNIT_MS[match[2]];
    if (unit === undefined) return { ok: false, reason: `unknown unit "${match[2]}"; ${hint}` };
    if (seen.has(unit)) return { ok: false, reason: `unit "${match[2]}" given twice; ${hint}` };
    seen.add(unit);
    total += Number(match[1]) * unit;
    at = PART.lastIndex;
    while (input[at] === ' ' || input[at] === ',') at++;
  }
  const ms = Math.round(total * 1e6) / 1e6;
  if (!Number.isSafeInteger(ms)) return { ok: false, reason: Number.isInteger(ms) ? 'too long' : 'finer than a millisecond' };
  return { ok: true, ms };
}

/**
 * Writes whole milliseconds in the units {@link parseDurationMs} reads, exactly and shortest first
 * unit first: 5_400_000 → "1h 30m", 45_000 → "45s", 0 → "0s", 1_500 → "1s 500ms".
 * `parseDurationMs(formatDurationMs(ms))` gives `ms` back. Non-integer or negative input gives "".
 */
export function formatDurationMs(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return '';
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of WRITTEN_UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join(' ');
}
