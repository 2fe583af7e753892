'use client';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { fmtMoney, fmtNumber, fmtTime } from '@/app/_components/format';

export interface EquitySeries {
  /** Legend label. */
  name: string;
  points: { timeMs: number; equity: number }[];
}

const COLORS = ['#4493f8', '#d29922', '#3fb950', '#f778ba', '#a371f7', '#db6d28'];

/**
 * Equity curves (quote currency over UTC time) on one chart; several series overlay for comparing
 * runs. A text summary (first and last equity per series) is given to screen readers. Equity reads as money
 * (`10,000.00`) followed by `unit` (the quote currency) when the series share one.
 */
export function EquityChart({
  series,
  label,
  unit,
  halts = [],
}: {
  series: EquitySeries[];
  label: string;
  /** The quote currency of every series (`USDT`); omitted when they differ or it is unknown. */
  unit?: string | null;
  /** Breaker halts, marked as vertical lines. */
  halts?: { timeMs: number; label: string }[];
}) {
  const money = (v: number) => (unit ? `${fmtMoney(v)} ${unit}` : fmtMoney(v));
  const nonEmpty = series.filter((s) => s.points.length > 0);
  if (nonEmpty.length === 0) return <p className="muted" data-testid="equity-empty">No equity curve was recorded.</p>;
  const summary = nonEmpty
    .map((s) => `${s.name}: ${money(s.points[0].equity)} to ${money(s.points[s.points.length - 1].equity)}`)
    .join('; ');
  return (
    <figure style={{ margin: 0 }} data-testid="equity-chart" data-halts={halts.length}>
      <p className="sr-only">{`${label}. ${summary}`}</p>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#888" strokeOpacity={0.25} />
            <XAxis dataKey="timeMs" type="number" domain={['dataMin', 'dataMax']} tickFormatter={fmtTime} minTickGap={48} allowDuplicatedCategory={false} />
            <YAxis dataKey="equity" type="number" domain={['auto', 'auto']} width={72} tickFormatter={(v: number) => fmtNumber(v, 0)} />
            <Tooltip labelFormatter={(v) => fmtTime(Number(v))} formatter={(v) => money(Number(v))} />
            {nonEmpty.length > 1 && <Legend />}
            {nonEmpty.map((s, i) => (
              <Line key={s.name} data={s.points} dataKey="equity" name={s.name} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} />
            ))}
            {halts.map((h) => (
              <ReferenceLine key={h.timeMs} x={h.timeMs} stroke="#f85149" strokeDasharray="4 2" label={{ value: h.label, position: 'insideTopLeft', fill: '#f85149', fontSize: 12 }} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="muted">{label}</figcaption>
    </figure>
  );
}
