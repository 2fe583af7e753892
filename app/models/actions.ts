'use server';
/** Model versions: deploy (hot reload) and roll back (admin, audited with the versions before and after). */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';
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
