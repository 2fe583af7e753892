import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger';
import type { StrategyModuleImporter } from '../ports/strategy-modules';
import { createBuiltInCatalog } from './built-in-strategies';
import { StrategySource, sourceHashOf as sha256Hex } from './strategy-catalog';
import { defineStrategy, z } from './strategy-api';
import { createStrategyFileSource, isStrategyFileName, loadStrategyFiles } from './strategy-files';
import { createStrategyFileWatcher } from './strategy-file-watcher';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function definition(name: string, version = '1.0.0') {
  return defineStrategy({
    name,
    version,
    summary: `${name} summary`,
    params: z.object({ period: z.number().int().min(2).default(10) }),
    indicators: (p) => ({ sma: [p.period] }),
    warmup: (p) => p.period,
    evaluate() {},
  });
}

/** An importer that returns the exports registered per file name (or throws what is registered). */
function fakeImporter(modules: Record<string, () => Record<string, unknown>>): StrategyModuleImporter & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async importModule(absolutePath) {
      calls.push(path.basename(absolutePath));
      const make = modules[path.basename(absolutePath)];
      if (!make) throw new Error(`no module registered for ${absolutePath}`);
      return make();
    },
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'aethelred-strategy-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('isStrategyFileName', () => {
  it('accepts .ts, .js and .mjs files and skips helpers, hidden files, tests and declarations', () => {
    expect(['a.ts', 'b.js', 'c.mjs', 'bollinger-reversion.ts'].map(isStrategyFileName)).toEqual([true, true, true, true]);
    expect(['_helpers.ts', '.hidden.ts', 'a.test.ts', 'a.spec.ts', 'a.test.mjs', 'types.d.ts', 'README.md', 'a.cjs', 'a.json'].map(isStrategyFileName)).toEqual([
      false, false, false, false, false, false, false, false, false,
    ]);
  });
});

describe('loadStrategyFiles', () => {
  it('has no strategies when the folder does not exist', async () => {
    expect(await loadStrategyFiles(path.join(dir, 'absent'), { importer: fakeImporter({}), reservedNames: new Map() })).toEqual([]);
  });

  it('loads a default export and a named `strategy` export with version, summary and the sha256 of the text', async () => {
    writeFileSync(path.join(dir, 'b-named.ts'), 'export const strategy = ...;');
    writeFileSync(path.join(dir, 'a-default.ts'), 'export default ...;');
    // Not strategy files: skipped before any import.
    writeFileSync(path.join(dir, '_shared.ts'), 'helper');
    writeFileSync(path.join(dir, 'a-default.test.ts'), 'test');
    writeFileSync(path.join(dir, 'notes.md'), 'notes');
    mkdirSync(path.join(dir, 'nested.ts'));
    const a = definition('alpha', '1.2.0');
    const b = definition('beta', '0.1.0');
    const importer = fakeImporter({ 'a-default.ts': () => ({ default: a }), 'b-named.ts': () => ({ strategy: b }) });
    const entries = await loadStrategyFiles(dir, { importer, reservedNames: new Map() });
    expect(importer.calls).toEqual(['a-default.ts', 'b-named.ts']);
    expect(entries).toEqual([
      { name: 'alpha', source: 'file', version: '1.2.0', sourceHash: sha256Hex('export default ...;'), summary: 'alpha summary', path: path.join(dir, 'a-default.ts'), definition: a },
      { name: 'beta', source: 'file', version: '0.1.0', sourceHash: sha256Hex('export const strategy = ...;'), summary: 'beta summary', path: path.join(dir, 'b-named.ts'), definition: b },
    ]);
  });

  it('hashes the file text with sha256 (hex)', () => {
    // Known vector: sha256("abc") (FIPS 180-2, appendix B.1).
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('lists a file that fails to compile, throws at load, exports nothing or garbage, reuses a name or cannot run with its defaults, and loads the rest', async () => {
    const files = ['a-good.ts', 'b-syntax.ts', 'c-throws.ts', 'd-empty.ts', 'e-garbage.mjs', 'f-builtin.ts', 'g-duplicate.js', 'h-bad-exits.ts', 'i-bad-period.ts'];
    for (const f of files) writeFileSync(path.join(dir, f), `// ${f}`);
    const importer = fakeImporter({
      'a-good.ts': () => ({ default: definition('good') }),
      'b-syntax.ts': () => {
        throw new Error('ParseError: Unexpected token\n  b-syntax.ts:1:25');
      },
      'c-throws.ts': () => {
        throw new Error('boom at load');
      },
      'd-empty.ts': () => ({ nothing: 1 }),
      'e-garbage.mjs': () => ({ default: { name: 'Not A Name' } }),
      'f-builtin.ts': () => ({ default: definition('ma-crossover', '9') }),
      'g-duplicate.js': () => ({ default: definition('good', '2') }),
      'h-bad-exits.ts': () => ({ default: { ...definition('bad-exits'), exits: () => ({ timeStop: { bars: 0 } }) } }),
      'i-bad-period.ts': () => ({ default: { ...definition('bad-period'), indicators: () => ({ sma: [0] }) } }),
    });
    const entries = await loadStrategyFiles(dir, { importer, reservedNames: new Map([['ma-crossover', 'built-in strategy']]) });
    const p = (f: string) => path.join(dir, f);
    expect(entries.map((e) => [e.name, e.version, e.loadError ?? null])).toEqual([
      ['good', '1.0.0', null],
      ['b-syntax.ts', '', `${p('b-syntax.ts')}: failed to compile or load: ParseError: Unexpected token b-syntax.ts:1:25`],
      ['c-throws.ts', '', `${p('c-throws.ts')}: failed to compile or load: boom at load`],
      ['d-empty.ts', '', `${p('d-empty.ts')}: exports no strategy: expected \`export default defineStrategy({...})\` (or \`export const strategy = defineStrategy({...})\`)`],
      [
        'e-garbage.mjs',
        '',
        `${p('e-garbage.mjs')}: exports no usable strategy: field "name" was "Not A Name": name "Not A Name" must be lowercase letters, digits and dashes, starting with a letter (2..63 characters)`,
      ],
      ['f-builtin.ts', '9', `${p('f-builtin.ts')}: strategy name "ma-crossover" is already taken by the built-in strategy; rename it`],
      ['g-duplicate.js', '2', `${p('g-duplicate.js')}: strategy name "good" is already taken by the strategy file ${p('a-good.ts')}; rename it`],
      ['h-bad-exits.ts', '1.0.0', `${p('h-bad-exits.ts')}: strategy "bad-exits" does not run with its default parameters: field "exits.timeStop.bars" was 0: Too small: expected number to be >=1`],
      ['i-bad-period.ts', '1.0.0', `${p('i-bad-period.ts')}: strategy "bad-period" does not run with its default parameters: field "sma[0]" was 0: sma period (0) must be an integer in 1..10000`],
    ]);
    // Every failed entry still carries its path and the hash of its text; none has a definition.
    for (const e of entries.slice(1)) {
      expect(e.path).toBe(p(e.name));
      expect(e.sourceHash).toBe(sha256Hex(`// ${e.name}`));
      expect(e.definition).toBeUndefined();
    }
  });
});

describe('createStrategyFileSource', () => {
  it('replaces the catalog file entries on every reload, reserving the built-in names', async () => {
    writeFileSync(path.join(dir, 'one.ts'), 'v1');
    let version = '1.0.0';
    const importer = fakeImporter({ 'one.ts': () => ({ default: definition('one', version) }), 'two.ts': () => ({ default: definition('ema-trend') }) });
    const catalog = createBuiltInCatalog();
    let changes = 0;
    catalog.onChange(() => changes++);
    const source = createStrategyFileSource({ dir, importer, catalog: () => catalog, logger: silent });
    const files = () => catalog.list().filter((e) => e.source === StrategySource.File);
    await source.reload();
    expect(files().map((e) => `${e.name}@${e.version}`)).toEqual(['one@1.0.0']);
    expect(catalog.provenance('one')).toEqual({ name: 'one', source: 'file', version: '1.0.0', sourceHash: sha256Hex('v1') });

    writeFileSync(path.join(dir, 'one.ts'), 'v2');
    writeFileSync(path.join(dir, 'two.ts'), 'dup');
    version = '1.1.0';
    await source.reload();
    expect(files().map((e) => [e.name, e.version, e.sourceHash, e.loadError ?? null])).toEqual([
      ['one', '1.1.0', sha256Hex('v2'), null],
      ['two.ts', '1.0.0', sha256Hex('dup'), `${path.join(dir, 'two.ts')}: strategy name "ema-trend" is already taken by the built-in strategy; rename it`],
    ]);
    expect(changes).toBe(2);
    // The built-in keeps its name; the file strategy runs from the catalog with its parsed params.
    expect(catalog.get('ema-trend')?.source).toBe('built-in');
    expect(catalog.create('one', { period: 5 }).features).toEqual({ sma: [5] });
  });
});

describe('createStrategyFileSource when a catalog listener fails', () => {
  it('keeps the new entries and logs the failure instead of throwing', async () => {
    writeFileSync(path.join(dir, 'one.ts'), 'v1');
    const catalog = createBuiltInCatalog();
    catalog.onChange(() => {
      throw new Error('listener broke');
    });
    const errors: string[] = [];
    const source = createStrategyFileSource({
      dir,
      importer: fakeImporter({ 'one.ts': () => ({ default: definition('one') }) }),
      catalog: () => catalog,
      logger: { ...silent, error: (o, msg) => errors.push(`${msg}: ${(o as { err: Error }).err.message}`) },
    });
    await source.reload();
    expect(catalog.names()).toContain('one');
    expect(errors).toEqual(['the strategy catalog refused or failed to announce the strategy files: listener broke']);
  });
});

describe('createStrategyFileWatcher', () => {
  it('reloads once after a burst of changes, ignores non-strategy files and stops watching on stop', async () => {
    let reloads = 0;
    let resolveReload: () => void = () => undefined;
    const source = {
      dir,
      async reload() {
        reloads++;
        resolveReload();
        return [];
      },
    };
    const worker = createStrategyFileWatcher({ source, logger: silent, debounceMs: 50 });
    await worker.start();
    const reloaded = new Promise<void>((resolve) => (resolveReload = resolve));
    writeFileSync(path.join(dir, 'a.ts'), '1');
    writeFileSync(path.join(dir, 'a.ts'), '2');
    writeFileSync(path.join(dir, 'b.ts'), '3');
    await reloaded;
    await new Promise((r) => setTimeout(r, 150));
    expect(reloads).toBe(1);

    writeFileSync(path.join(dir, 'notes.md'), 'ignored');
    await new Promise((r) => setTimeout(r, 150));
    expect(reloads).toBe(1);

    await worker.stop();
    writeFileSync(path.join(dir, 'c.ts'), '4');
    await new Promise((r) => setTimeout(r, 150));
    expect(reloads).toBe(1);
  });

  it('starts without throwing when the folder is missing', async () => {
    const warnings: string[] = [];
    const worker = createStrategyFileWatcher({
      source: { dir: path.join(dir, 'absent'), reload: async () => [] },
      logger: { ...silent, warn: (_o, msg) => warnings.push(msg ?? '') },
    });
    await worker.start();
    await worker.stop();
    expect(warnings).toEqual(['the strategies folder cannot be watched (create it and restart to hot-reload strategies)']);
  });
});
