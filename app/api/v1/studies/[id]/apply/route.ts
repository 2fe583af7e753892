import { apiRoute } from '@/app/_server/api-v1/operation';
import { applyStudy } from './operation';

export const dynamic = 'force-dynamic';

export const POST = apiRoute(applyStudy, async ({ root, input, actor, audit }) => {
  const before = await root.engine.getTradingSettings();
  const applied = await root.engine.studies.applyToSettings(input.path.id, { userId: actor?.email ?? 'unknown' });
  const strategy = applied.request.strategy;
  const after = await root.engine.getTradingSettings();
  audit({ before: { [strategy]: before.strategy.adapters[strategy] ?? null }, after: { [strategy]: after.strategy.adapters[strategy] ?? null } });
  return root.engine.studies.summary(input.path.id);
});
