import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { ActionForm } from '@/app/_components/action-form';
import { fmtNumber, fmtTime } from '@/app/_components/format';
import type { ModelRecord } from '@/engine/ports/models';
import { deployModel, rollbackModel } from './actions';
import { TRAIN_INTENT_VETO_COMMAND } from './_lib/train-command';

export const dynamic = 'force-dynamic';

/** Model versions per kind with their validation metrics; deploy and roll back (admin). */
export default async function ModelsPage() {
  const access = await requireRole('viewer', '/models');
  const { root, actor } = access;
  const admin = roleAtLeast(actor.role, 'admin');
  let models: ModelRecord[] = [];
  let unavailable: string | null = null;
  try {
    models = await root.engine.models.list();
  } catch (error) {
    unavailable = error instanceof Error ? error.message : 'the model registry is unavailable';
  }
  const kinds = [...new Set(models.map((m) => m.kind))].sort();
  return (
    <>
      <section className="card" aria-labelledby="models-heading">
        <h1 id="models-heading">Models</h1>
        {unavailable ? (
          <p className="error" role="alert" data-testid="models-unavailable">{unavailable}</p>
        ) : kinds.length === 0 ? (
          <p className="muted" data-testid="models-empty">
            No trained models yet. Import candles for the window, then queue training with <code data-testid="train-command">{TRAIN_INTENT_VETO_COMMAND}</code> (see README “Models” for the other kinds and params); new versions appear here for review before deployment.
          </p>
        ) : (
          <p className="muted">Deploying loads and verifies the file (sha256) and swaps it in without a restart; rollback re-activates the previous version.</p>
        )}
      </section>
      {kinds.map((kind) => {
        const versions = models.filter((m) => m.kind === kind);
        const active = versions.find((m) => m.active);
        const metricNames = [...new Set(versions.flatMap((m) => Object.keys(m.metrics)))].sort();
        return (
          <section key={kind} className="card" aria-labelledby={`kind-${kind}`} data-testid="model-kind">
            <h2 id={`kind-${kind}`}>
              {kind} <span className="muted">· active: {active ? `v${active.version}` : 'none'}</span>
            </h2>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Version</th><th scope="col">Trained on</th><th scope="col">Created</th>
                    {metricNames.map((n) => <th key={n} scope="col">{n}</th>)}
                    <th scope="col">State</th>{admin ? <th scope="col"><span className="muted">Actions</span></th> : null}
                  </tr>
                </thead>
                <tbody>
                  {versions.map((m) => (
                    <tr key={m.id} data-testid="model-row">
                      <td>v{m.version}</td>
                      <td>{fmtTime(m.trainingFromMs)} – {fmtTime(m.trainingToMs)}</td>
                      <td>{fmtTime(m.createdAtMs)}</td>
                      {metricNames.map((n) => <td key={n}>{fmtNumber(m.metrics[n] ?? null, 4)}</td>)}
                      <td>{m.active ? <span className="badge ok">active</span> : m.activatedAtMs ? `was active ${fmtTime(m.activatedAtMs)}` : 'never deployed'}</td>
                      {admin ? (
                        <td>
                          {!m.active && (
                            <ActionForm action={deployModel} submitLabel={`Deploy v${m.version}`}>
                              <input type="hidden" name="kind" value={m.kind} />
                              <input type="hidden" name="version" value={m.version} />
                            </ActionForm>
                          )}
                        </td>
                      ) : null}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {admin && active ? (
              <ActionForm action={rollbackModel} submitLabel={`Roll back ${kind}`}>
                <input type="hidden" name="kind" value={kind} />
              </ActionForm>
            ) : null}
          </section>
        );
      })}
    </>
  );
}
