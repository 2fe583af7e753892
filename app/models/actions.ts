'use server';
/**
 * Models: queue training of a model kind as a job (trader; deploying on success needs admin), deploy
 * (hot reload) and roll back (admin); each audited, deploy and roll back with the versions before and after.
 */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
import { AppError } from '@/app/_server/auth/app-error';
import { roleAtLeast } from '@/app/_server/auth/roles';
import { ValidationError } from '@/engine/core/errors';
import { reasonOf } from '@/engine/core/validation';
import { TrainJobKind } from '@/engine/ml/train-handlers';
import { MODEL_KINDS, type ModelKind } from '@/engine/ports/model-kind';

const kind = z.enum(MODEL_KINDS as [ModelKind, ...ModelKind[]]);
const activeVersion = async (root: { engine: { models: { list(k: ModelKind): Promise<{ version: number; active: boolean }[]> } } }, k: ModelKind) =>
  (await root.engine.models.list(k)).find((m) => m.active)?.version ?? null;

export const deployModel = action(
  { role: 'admin', input: z.object({ kind, version: z.coerce.number().int().positive() }), audit: { action: 'model.deploy', target: (i) => `${i.kind}@v${i.version}` }, revalidate: ['/models'] },
  async ({ root, input, audit }) => {
    const before = await activeVersion(root, input.kind);
    const record = await root.engine.models.deploy(input.kind, input.version);
    audit({ before: { activeVersion: before }, after: { activeVersion: record.version } });
    return { kind: record.kind, version: record.version };
  },
);

export const rollbackModel = action(
  { role: 'admin', input: z.object({ kind }), audit: { action: 'model.rollback', target: (i) => i.kind }, revalidate: ['/models'] },
  async ({ root, input, audit }) => {
    const before = await activeVersion(root, input.kind);
    const record = await root.engine.models.rollback(input.kind);
    audit({ before: { activeVersion: before }, after: { activeVersion: record.version } });
    return { kind: record.kind, version: record.version };
  },
);

/** A form's number field: blank is absent, a number string becomes a number, anything else goes on as typed (the job's schema names it). */
const formNumber = z
  .union([z.number(), z.string()])
  .optional()
  .transform((value) => (typeof value === 'string' ? (value.trim() === '' ? undefined : /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value) : value));
const formText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));
/** A checkbox: present ("on") or "true" is true; absent or "false" is false. */
const formFlag = z
  .union([z.boolean(), z.string()])
  .optional()
  .transform((value) => value === true || value === 'on' || value === 'true');

const TRAIN_JOB_KINDS = Object.values(TrainJobKind) as [TrainJobKind, ...TrainJobKind[]];

/**
 * Queues training of one model kind through the engine's job queue (the same `enqueue` as the CLI and
 * the API); the job's own schema checks the params, and a refusal names the form's field and value.
 * `activate` deploys the new version when training succeeds, so it needs the role deploying needs (admin).
 */
export const queueTraining = action(
  {
    role: 'trader',
    input: z.object({
      kind: z.enum(TRAIN_JOB_KINDS),
      exchange: formText,
      symbol: formText,
      timeframe: formText,
      from: formText,
      to: formText,
      horizon: formNumber,
      folds: formNumber,
      seed: formNumber,
      activate: formFlag,
      runId: formText,
    }),
    audit: { action: 'model.train', target: (i) => i.kind },
    revalidate: ['/jobs'],
  },
  async ({ root, actor, input, audit }) => {
    const { kind, ...fields } = input;
    if (fields.activate && !roleAtLeast(actor!.role, 'admin')) {
      throw new AppError('forbidden:auth', `deploying the trained model ("activate") needs the "admin" role; you have "${actor!.role}". Queue it without, and an admin deploys the version after review`);
    }
    const params = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    let ticketId: string;
    try {
      ticketId = await root.engine.enqueue({ kind, params });
    } catch (error) {
      // `params.horizon` is the form's `horizon`.
      if (error instanceof ValidationError && error.field.startsWith('params.')) throw new ValidationError(error.field.slice('params.'.length), error.value, reasonOf(error));
      throw error;
    }
    audit({ target: `${kind} ${ticketId}`, after: { ticketId, params } });
    return { ticketId, kind };
  },
);
