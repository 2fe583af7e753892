/** A strategy's output at one candle as a trader reads it, shared by the check page and the CLI. */
import { fmtNumber, fmtPrice } from '@/app/_components/format';

/** The JSON form of a check snapshot (engine/insight `SignalSnapshot` after a ticket's JSON round trip). */
export interface SignalView {
  side: number | null;
  strength: number | null;
  stopHint: number | null;
  exit: number | null;
}

const sideName = (side: number | null) => (side === null ? '—' : side > 0 ? 'long' : side < 0 ? 'short' : 'flat');
const exitName = (exit: number | null) => (exit === null ? '—' : exit > 0 ? 'close long' : exit < 0 ? 'close short' : 'none');

/** `long 0.75, stop 95.0000, exit none` (side, strength 0..1, protective stop price, exit instruction). */
export function describeSignal(s: SignalView): string {
  return `${sideName(s.side)} ${fmtNumber(s.strength, 2)}, stop ${fmtPrice(s.stopHint)}, exit ${exitName(s.exit)}`;
}
