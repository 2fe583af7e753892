/**
 * The strategies of a recorded run or session with where each came from (source, version, source
 * hash), read from the stored run spec. Runs recorded before provenance was stored show names only.
 */

export interface ProvenanceItem {
  name: string;
  source?: string;
  version?: string;
  sourceHash?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Strategies of a stored config (`strategies` names plus `provenance` records), in run order. */
export function provenanceOf(config: unknown): ProvenanceItem[] {
  if (!isRecord(config)) return [];
  const names = Array.isArray(config.strategies) ? config.strategies.filter((n): n is string => typeof n === 'string') : [];
  const recorded = Array.isArray(config.provenance) ? config.provenance.filter(isRecord) : [];
  return names.map((name) => {
    const p = recorded.find((r) => r.name === name);
    return {
      name,
      ...(typeof p?.source === 'string' ? { source: p.source } : {}),
      ...(typeof p?.version === 'string' ? { version: p.version } : {}),
      ...(typeof p?.sourceHash === 'string' ? { sourceHash: p.sourceHash } : {}),
    };
  });
}

/** The list shown on run and session pages: `ma-crossover — built-in 1.0.0 · 7bbc455dc131`. */
export function StrategyProvenanceList({ config }: { config: unknown }) {
  const items = provenanceOf(config);
  if (items.length === 0) return <>—</>;
  return (
    <ul className="plain-list" data-testid="run-strategies">
      {items.map((item) => (
        <li key={item.name} data-testid="run-strategy" data-strategy={item.name}>
          {item.name}
          {item.source ? (
            <span className="muted">
              {' '}
              — {item.source} {item.version}
              {item.sourceHash ? (
                <>
                  {' · '}
                  <code title={`source sha256 ${item.sourceHash}`}>{item.sourceHash.slice(0, 12)}</code>
                </>
              ) : null}
            </span>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
