/**
 * The one reading of a time an operator sends or types (a backtest's `from`/`to`, a replay's `from`, a training
 * window, a strategy check, a candle download, the CLI's `--from`): every path reads the same text as the same instant.
 *
 * - A number is epoch milliseconds.
 * - `2024-01-01` is that day at 00:00 UTC.
 * - A date and time without a zone is UTC (`2024-01-01T12:00`, `2024-01-01 12:00:30.5`): never the server's zone.
 * - A date and time with its zone is that instant (`…Z`, `…+02:00`, `…-0530`).
 * - Digits alone are epoch milliseconds when there are 11 to 16 of them (from 1973 on); fewer are refused, so a bare
 *   year (`2024`) or epoch seconds (`1704067200`) is an error, not an instant in January 1970.
 */
import { z } from 'zod';
import { ValidationError } from './errors';

/** What a time may look like, for error messages. */
export const TIME_INPUT_HINT = 'expected a UTC date (2024-01-01), a UTC date and time (2024-01-01T12:00, or with its zone: …Z, …+02:00) or epoch milliseconds (13 digits)';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const EPOCH_MS_DIGITS = /^\d{11,16}$/;
const ZONE = /(Z|[+-]\d{2}:?\d{2})$/;

/** Epoch ms of a time input (see the module comment); NaN when it is not one. */
export function timeInputMs(value: string | number): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN;
  const text = value.trim();
  if (EPOCH_MS_DIGITS.test(text)) return Number(text);
  if (!DATE_TIME.test(text)) return NaN;
  const iso = text.length === 10 ? `${text}T00:00:00Z` : ZONE.test(text) ? text : `${text}Z`;
  const ms = Date.parse(iso.replace(' ', 'T'));
  // Date.parse rolls impossible days over (2024-02-30 is March 1st): such a date is refused, not moved.
  return Number.isFinite(ms) && new Date(ms + zoneOffsetMs(iso)).toISOString().slice(0, 10) === text.slice(0, 10) ? ms : NaN;
}

/** The zone offset written in an ISO time, ms east of UTC (0 for `Z` or none). */
function zoneOffsetMs(iso: string): number {
  const zone = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  if (!zone) return 0;
  return (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) * 60_000;
}

/**
 * Epoch ms of `value` read as a time input.
 * @throws ValidationError naming `field` and the value when it is not one.
 */
export function parseTimeInput(field: string, value: string | number): number {
  const ms = timeInputMs(value);
  if (!Number.isFinite(ms)) throw new ValidationError(field, value, TIME_INPUT_HINT);
  return ms;
}

/** zod schema of a time input: a finite number or a string {@link timeInputMs} reads (kept as given). */
export const timeInputSchema = z.union([z.number().finite(), z.string().refine((v) => Number.isFinite(timeInputMs(v)), { message: TIME_INPUT_HINT })]);
