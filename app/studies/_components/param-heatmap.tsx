'use client';
import { useState } from 'react';
import { fmtNumber } from '@/app/_components/format';
import { ScrollTable } from '@/app/_components/scroll-table';
import { heatmapAxes, heatmapOf, scaleColor, scalePosition, scaleTextColor, variedParams, type TrialPoint } from '../_lib/study-grid';

const label = (v: unknown) => String(v);

/**
 * The best objective for each pair of values of two chosen parameters (the other parameters vary
 * within a cell), as a table whose cells are coloured from red (worst) to green (best). The numbers are
 * in the cells and the axes are labelled, so the map reads without colour too.
 */
export function ParamHeatmap({ trials, objective }: { trials: TrialPoint[]; objective: string }) {
  const params = variedParams(trials);
  const [chosen, setChosen] = useState<{ x: string | null; y: string | null }>({ x: null, y: null });
  const { x, y } = heatmapAxes(params, chosen);
  const setX = (value: string) => setChosen({ x: value, y });
  const setY = (value: string) => setChosen({ x, y: value });
  if (params.length < 2) {
    return (
      <p className="muted" data-testid="heatmap-unavailable">
        A heatmap needs two parameters that took more than one value; this study varied {params.length === 0 ? 'none' : `only ${params[0]}`}.
      </p>
    );
  }
  const map = heatmapOf(trials, x, y);
  const digits = objective === 'netProfit' ? 2 : 3;
  return (
    <div data-testid="heatmap">
      <div className="filter-grid">
        <div className="field">
          <label htmlFor="heat-x">Columns (x)</label>
          <select id="heat-x" value={x} onChange={(e) => setX(e.target.value)} data-testid="heatmap-x">
            {params.map((p) => (
              <option key={p} value={p} disabled={p === y}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="heat-y">Rows (y)</label>
          <select id="heat-y" value={y} onChange={(e) => setY(e.target.value)} data-testid="heatmap-y">
            {params.map((p) => (
              <option key={p} value={p} disabled={p === x}>
                {p}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="heat-legend" data-testid="heatmap-legend">
        <span>
          Best {objective} per cell: {fmtNumber(map.min, digits)}
        </span>
        <span className="heat-legend-bar" role="img" aria-label={`Colour scale from red (${fmtNumber(map.min, digits)}, worst) through yellow to green (${fmtNumber(map.max, digits)}, best)`} />
        <span>{fmtNumber(map.max, digits)}</span>
        <span className="muted">(— : no trial scored)</span>
      </div>
      <ScrollTable label={`Heatmap of ${objective} over ${x} and ${y}`} className="heatmap" data-testid="heatmap-table">
        <caption className="sr-only">{`Best ${objective} for each ${y} (rows) and ${x} (columns)`}</caption>
        <thead>
          <tr>
            <th scope="col">
              {y} ↓ / {x} →
            </th>
            {map.columns.map((c) => (
              <th scope="col" key={label(c)}>
                {label(c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {map.rows.map((r, ri) => (
            <tr key={label(r)}>
              <th scope="row">{label(r)}</th>
              {map.columns.map((c, ci) => {
                const value = map.cells[ri][ci];
                if (value === null || map.min === null || map.max === null) {
                  return (
                    <td key={label(c)} className="heat-empty" data-testid="heat-cell" title={`${map.counts[ri][ci]} trial(s), none scored`}>
                      —
                    </td>
                  );
                }
                return (
                  <td
                    key={label(c)}
                    className="heat-cell"
                    data-testid="heat-cell"
                    style={{ background: scaleColor(scalePosition(value, map.min, map.max)), color: scaleTextColor(scalePosition(value, map.min, map.max)) }}
                    title={`${x} ${label(c)}, ${y} ${label(r)}: best ${fmtNumber(value, digits)} of ${map.counts[ri][ci]} trial(s)`}
                  >
                    {fmtNumber(value, digits)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </ScrollTable>
    </div>
  );
}
