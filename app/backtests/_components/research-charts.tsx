'use client';
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { fmtFractionPct, fmtNumber, fmtTime } from '@/app/_components/format';

const pct = (v: number) => fmtFractionPct(v, 1);

/** The underwater curve: how far (percent) equity sits below its running peak over UTC time. */
export function UnderwaterChart({ points, label }: { points: { timeMs: number; drawdown: number }[]; label: string }) {
  if (points.length === 0) return <p className="muted">No equity curve was recorded.</p>;
  const deepest = points.reduce((min, p) => Math.min(min, p.drawdown), 0);
  return (
    <figure style={{ margin: 0 }} data-testid="underwater-chart">
      <p className="sr-only">{`${label}. Deepest drawdown ${pct(deepest)}.`}</p>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#888" strokeOpacity={0.25} />
            <XAxis dataKey="timeMs" type="number" domain={['dataMin', 'dataMax']} tickFormatter={fmtTime} minTickGap={48} />
            <YAxis type="number" domain={['auto', 0]} width={72} tickFormatter={pct} />
            <Tooltip labelFormatter={(v) => fmtTime(Number(v))} formatter={(v) => pct(Number(v))} />
            <Area dataKey="drawdown" name="Drawdown" stroke="#f85149" fill="#f85149" fillOpacity={0.3} isAnimationActive={false} />
          </AreaChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="muted">{label}</figcaption>
    </figure>
  );
}

/** Rolling annualised Sharpe ratio (left axis) and volatility (right axis, percent). */
export function RollingRiskChart({ points, label }: { points: { timeMs: number; sharpe: number | null; volatility: number }[]; label: string }) {
  if (points.length === 0) return <p className="muted" data-testid="rolling-empty">The equity curve is shorter than one window.</p>;
  return (
    <figure style={{ margin: 0 }} data-testid="rolling-chart">
      <p className="sr-only">{label}</p>
      <div className="chart-box">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#888" strokeOpacity={0.25} />
            <XAxis dataKey="timeMs" type="number" domain={['dataMin', 'dataMax']} tickFormatter={fmtTime} minTickGap={48} />
            <YAxis yAxisId="sharpe" type="number" width={56} tickFormatter={(v: number) => fmtNumber(v, 1)} />
            <YAxis yAxisId="vol" orientation="right" type="number" width={64} tickFormatter={pct} />
            <Tooltip labelFormatter={(v) => fmtTime(Number(v))} formatter={(v, name) => (name === 'Volatility' ? pct(Number(v)) : fmtNumber(Number(v), 2))} />
            <Legend />
            <Line yAxisId="sharpe" dataKey="sharpe" name="Sharpe" stroke="#4493f8" dot={false} isAnimationActive={false} connectNulls={false} />
            <Line yAxisId="vol" dataKey="volatility" name="Volatility" stroke="#d29922" dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption className="muted">{label}</figcaption>
    </figure>
  );
}
