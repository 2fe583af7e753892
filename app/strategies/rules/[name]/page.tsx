import { notFound } from 'next/navigation';
import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { NotFoundError } from '@/engine/core/errors';
import { fmtTime } from '@/app/_components/format';
import { ScrollTable } from '@/app/_components/scroll-table';
import { RuleEditorSection } from '../_components/rule-editor-page';

export const dynamic = 'force-dynamic';

/** A saved rule strategy: the editor on its active version, its version history, and the one-click backtest. */
export default async function RuleStrategyPage({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  const { root, actor } = await requireRole('viewer', `/strategies/rules/${encodeURIComponent(name)}`);
  const history = await root.engine.ruleStrategies.get(name).catch((error: unknown) => {
    if (error instanceof NotFoundError) notFound();
    throw error;
  });
  return (
    <>
      <RuleEditorSection key={history.latest.version} root={root} initial={history.latest.definition} savedName={history.name} canEdit={roleAtLeast(actor.role, 'trader')} />
      <section className="card" aria-labelledby="rule-versions-heading">
        <h2 id="rule-versions-heading">Versions</h2>
        <ScrollTable label="Rule versions" data-testid="rule-versions">
            <thead>
              <tr><th scope="col">Version</th><th scope="col">Saved (UTC)</th><th scope="col">By</th></tr>
            </thead>
            <tbody>
              {[...history.versions].reverse().map((v) => (
                <tr key={v.version}>
                  <td>{v.version}{v.version === history.latest.version ? ' (active)' : ''}</td>
                  <td>{fmtTime(v.createdAtMs)}</td>
                  <td>{v.createdBy ?? 'unknown'}</td>
                </tr>
              ))}
            </tbody>
        </ScrollTable>
      </section>
    </>
  );
}
