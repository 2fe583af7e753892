import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadStrategyFiles } from '@/engine/strategies/strategy-files';
import { createJitiStrategyImporter } from './jiti-strategy-importer';

// A folder outside the repository (no node_modules above it): `aethelred/strategy` and `zod` must
// still resolve, to this process's own modules.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'aethelred-jiti-'));
  writeFileSync(
    path.join(dir, 'good.ts'),
    `import { defineStrategy, z, Direction } from 'aethelred/strategy';
import { z as zod } from 'zod';
import { LEVEL } from './_level';
type Params = { level: number };
export default defineStrategy({
  name: 'close-above-level',
  version: '1.0.0',
  summary: 'Long while the close is above a level.',
  params: z.object({ level: zod.number().positive().default(LEVEL) }),
  indicators: () => ({}),
  warmup: () => 0,
  evaluate(f, i, out, p: Params) {
    out.side = f.close[i] > p.level ? Direction.Long : Direction.Flat;
  },
});
`,
  );
  writeFileSync(path.join(dir, '_level.ts'), 'export const LEVEL: number = 100;\n');
  writeFileSync(path.join(dir, 'syntax.ts'), 'export const x: number = ;\n');
  writeFileSync(path.join(dir, 'throws.mjs'), 'throw new Error("boom at load");\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createJitiStrategyImporter', () => {
  it('compiles a TypeScript file importing aethelred/strategy, zod and a helper, with this process\'s zod', async () => {
    const exports = await createJitiStrategyImporter(dir).importModule(path.join(dir, 'good.ts'));
    const definition = exports.default as { name: string; params: z.ZodObject };
    expect(definition.name).toBe('close-above-level');
    // The same zod instance as the server's: the schema is a ZodObject of this module's zod.
    expect(definition.params instanceof z.ZodObject).toBe(true);
    expect(definition.params.parse({})).toEqual({ level: 100 });
  });

  it('reads an edited file again on the next import (no module cache)', async () => {
    const importer = createJitiStrategyImporter(dir);
    const file = path.join(dir, 'edited.ts');
    writeFileSync(file, 'export const value: number = 1;\n');
    expect((await importer.importModule(file)).value).toBe(1);
    writeFileSync(file, 'export const value: number = 2;\n');
    expect((await importer.importModule(file)).value).toBe(2);
    rmSync(file);
  });

  it('rejects with the parse error (naming the file and position) and with what a file throws at load', async () => {
    const importer = createJitiStrategyImporter(dir);
    await expect(importer.importModule(path.join(dir, 'syntax.ts'))).rejects.toThrow(/Unexpected token[\s\S]*syntax\.ts:1:25/);
    await expect(importer.importModule(path.join(dir, 'throws.mjs'))).rejects.toThrow('boom at load');
  });

  it('feeds the loader: the good file loads, the broken ones are listed with their path', async () => {
    const entries = await loadStrategyFiles(dir, { importer: createJitiStrategyImporter(dir), reservedNames: new Map() });
    expect(entries.map((e) => [e.name, e.loadError?.split(':')[0] ?? null])).toEqual([
      ['close-above-level', null],
      ['syntax.ts', path.join(dir, 'syntax.ts')],
      ['throws.mjs', path.join(dir, 'throws.mjs')],
    ]);
  });

  it('loads the three example strategies of the repository\'s strategies folder without an error', async () => {
    const examples = path.join(process.cwd(), 'strategies');
    const entries = await loadStrategyFiles(examples, { importer: createJitiStrategyImporter(examples), reservedNames: new Map() });
    expect(entries.map((e) => [e.name, e.version, e.loadError ?? null])).toEqual([
      ['bollinger-reversion', '1.0.0', null],
      ['higher-timeframe-trend', '1.0.0', null],
      ['volatility-breakout', '1.0.0', null],
    ]);
  });
});
