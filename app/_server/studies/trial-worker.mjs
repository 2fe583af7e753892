/**
 * Entry of a trial worker thread. Plain ESM so Node can start it directly, from the repository on
 * disk, under vitest, tsx or the production server alike; jiti compiles the TypeScript engine (the
 * `@/` alias is the repository root given by the pool in `workerData.root`).
 */
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { createJiti } from 'jiti';

const root = workerData.root;
const jiti = createJiti(path.join(root, 'app/_server/studies/_trial-worker.ts'), { alias: { '@': root }, interopDefault: false });
const { startTrialWorker } = await jiti.import(path.join(root, 'app/_server/studies/trial-worker-main.ts'));
startTrialWorker(parentPort);
