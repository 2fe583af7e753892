'use client';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface EquitySeries {
  /** Legend label. */
  name: string;
  points: { timeMs: number; equity: number }[];
}

const COLORS = ['#4493f8', '#d29922', '#3fb950', '#f778ba', '#a371f7', '#db6d28'];
const dayLabel = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/**
 * Equity curves (quote currency over UTC time) on one chart; several series overlay for comparing
 * runs. A text summary (first and last equity per series) is given to screen readers.
 */
export function EquityChart({ series, label, halts = [] }: { series: EquitySeries[]; label: string; /** Breaker halts, marked as vertical lines. */ halts?: { timeMs: number; label: string }[] }) {
  const nonEmpty = series.filter((s) => s.points.length > 0);
  if (nonEmpty.length === 0) return <p className="muted" data-testid="equity-empty">No equity curve was recorded.</p>;
  const summary = nonEmpty
    .map((s) => `${s.name}: ${s.points[0].equity.toFixed(2)} to ${s.points[s.points.length - 1].equity.toFixed(2)}`)
    .join('; ');
  return (
    <figure style={{ margin: 0 }} data-testid="equity-chart" data-halts={halts.length}>
      <p className="sr-only">{`${label}. ${summary}`}</p>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#888" strokeOpacity={0.25} />
            <XAxis dataKey="timeMs" type="number" domain={['dataMin', 'dataMax']} tickFormatter={dayLabel} minTickGap={48} allowDuplicatedCategory={false} />
            <YAxis dataKey="equity" type="number" domain={['auto', 'auto']} width={72} tickFormatter={(v: number) => v.toFixed(0)} />
            <Tooltip labelFormatter={(v) => dayLabel(Number(v))} formatter={(v) => Number(v).toFixed(2)} />
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
