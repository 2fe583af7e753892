/**
 * The body of one trial worker thread (loaded by `trial-worker.mjs` through jiti, so the TypeScript
 * engine runs unbundled both under vitest/tsx and beside the production server). It rebuilds the
 * study's strategy in this thread — the built-ins, a strategy file from the strategies folder
 * (refused when the file changed since the study saw it), or a rule strategy from its stored
 * definition — and answers the pool's messages with the engine's trial handler.
 */
import type { MessagePort } from 'node:worker_threads';
import { silentLogger } from '@/engine/core/clock';
import { createBuiltInCatalog } from '@/engine/strategies/built-in-strategies';
import { loadStrategyFiles } from '@/engine/strategies/strategy-files';
import { ruleCatalogEntry } from '@/engine/strategies/rules/rule-strategy-service';
import { StrategySource, type StrategyCatalog } from '@/engine/strategies/strategy-catalog';
import type { TrialStrategySource } from '@/engine/research/trial-runner';
import { createTrialWorkerHandler, type TrialWorkerReply, type TrialWorkerRequest } from '@/engine/research/trial-worker-protocol';
import { createJitiStrategyImporter } from '../jiti-strategy-importer';

/** A catalog holding the study's strategy, rebuilt in this thread. @throws when it cannot be rebuilt as the study saw it. */
export async function catalogOf(source: TrialStrategySource): Promise<StrategyCatalog> {
  const catalog = createBuiltInCatalog();
  if (source.kind === 'file') {
    const reservedNames = new Map(catalog.list().filter((e) => e.source === StrategySource.BuiltIn).map((e) => [e.name, 'built-in strategy'] as const));
    catalog.replaceSource('file', await loadStrategyFiles(source.dir, { importer: createJitiStrategyImporter(source.dir), reservedNames }));
    const entry = catalog.get(source.name);
    if (!entry) throw new Error(`strategy file of "${source.name}" no longer loads in ${source.dir}`);
    if (entry.sourceHash !== source.sourceHash) throw new Error(`strategy file of "${source.name}" changed since the study started; start the study again`);
  } else if (source.kind === 'rule') {
    catalog.replaceSource('rule', [ruleCatalogEntry({ name: source.name, version: source.version, definition: source.definition as Record<string, unknown>, createdBy: null, createdAtMs: 0 })]);
  }
  catalog.provenance(source.name); // throws when the strategy is not runnable here
  return catalog;
}

/** Serves the pool on `port` until the thread is terminated. */
export function startTrialWorker(port: MessagePort): void {
  const reply = (message: TrialWorkerReply) => port.postMessage(message);
  const handle = createTrialWorkerHandler({ catalogOf, logger: silentLogger }, reply);
  port.on('message', (message: TrialWorkerRequest) => {
    void handle(message);
  });
}
