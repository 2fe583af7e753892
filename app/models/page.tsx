import { requireRole } from '@/app/_server/auth/page-gate';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { ActionForm } from '@/app/_components/action-form';
import { fmtNumber, fmtTime } from '@/app/_components/format';
import type { ModelRecord } from '@/engine/ports/models';
import { JOB_DEFINITIONS } from '@/engine/jobs/definitions';
import { trainIntentVetoJob } from '@/engine/jobs/train-jobs';
import { trainParamsSchema } from '@/engine/ml/train-handlers';
import { deployModel, queueTraining, rollbackModel } from './actions';
import { TRAIN_INTENT_VETO_COMMAND } from './_lib/train-command';
import { TrainModelForm } from './_components/train-model-form';
import { ScrollTable } from '@/app/_components/scroll-table';

export const dynamic = 'force-dynamic';

/** The `train-*` job kinds, in the definitions' order, with what each trains. */
const TRAIN_KINDS = JOB_DEFINITIONS.filter((d) => d.kind.startsWith('train-')).map((d) => ({ kind: d.kind, summary: d.summary }));

/** The form's first values: the intent-veto definition's example with the schema's defaults. */
function trainDefaults() {
  const p = trainParamsSchema.parse(trainIntentVetoJob.example);
  return { exchange: p.exchange, symbol: p.symbol, timeframe: p.timeframe, from: String(p.from), to: String(p.to), horizon: p.horizon, folds: p.folds, seed: p.seed };
}

/** Model versions per kind with their validation metrics; queue training (trader), deploy and roll back (admin). */
export default async function ModelsPage() {
  const access = await requireRole('viewer', '/models');
  const { root, actor } = access;
  const admin = roleAtLeast(actor.role, 'admin');
  const trader = roleAtLeast(actor.role, 'trader');
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
            No trained models yet. Import candles for the window, then queue training below{trader ? '' : ' (trader role)'} or from the command line with <code data-testid="train-command">{TRAIN_INTENT_VETO_COMMAND}</code> (see README “Models” for the other kinds and params); new versions appear here for review before deployment.
          </p>
        ) : (
          <p className="muted">Deploying loads and verifies the file (sha256) and swaps it in without a restart; rollback re-activates the previous version.</p>
        )}
      </section>
      {trader ? (
        <section className="card" aria-labelledby="train-heading">
          <h2 id="train-heading">Train a model</h2>
          <p className="muted">
            Queues a training job (it also appears on the <a href="/jobs">Jobs</a> page): walk-forward validation on the stored candles of the window, then an ONNX file and a new version with its validation metrics.
            {admin ? '' : ' An admin deploys it after review.'}
          </p>
          <TrainModelForm queue={queueTraining} kinds={TRAIN_KINDS} defaults={trainDefaults()} canActivate={admin} />
        </section>
      ) : null}
      {kinds.map((kind) => {
        const versions = models.filter((m) => m.kind === kind);
        const active = versions.find((m) => m.active);
        const metricNames = [...new Set(versions.flatMap((m) => Object.keys(m.metrics)))].sort();
        return (
          <section key={kind} className="card" aria-labelledby={`kind-${kind}`} data-testid="model-kind">
            <h2 id={`kind-${kind}`}>
              {kind} <span className="muted">· active: {active ? `v${active.version}` : 'none'}</span>
            </h2>
            <ScrollTable label={`${kind} versions`}>
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
            </ScrollTable>
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
