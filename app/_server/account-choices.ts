import type { Engine } from '@/engine/engine';

/** The accounts an Account picker offers (the journal's filter, the chart's markers): id and name. */
export async function accountChoices(engine: Pick<Engine, 'accounts'>): Promise<{ id: string; name: string }[]> {
  return (await engine.accounts.list()).map((a) => ({ id: a.id, name: a.settings.name }));
}
