/**
 * `npm run cli`: runs scripts/cli.ts from a bundle that esbuild builds on demand, so a command does not
 * pay for compiling TypeScript and resolving hundreds of source files at every start (tsx: ~0.3-0.5 s).
 * The bundle lives under node_modules/.cache/aethelred-cli with the list of source files it was built
 * from; it is rebuilt (~1 s) when any of them changed since the build started, or is gone. A few small
 * packages every command uses are bundled in, the others stay external, and dynamic imports stay separate
 * chunks, so a command loads only the code it runs (a backtest never loads ccxt). `node --import tsx
 * scripts/cli.ts` runs the sources directly, as the tests do.
 *
 * Each build goes to a folder of its own and `current.json` is switched by a rename, so a command that
 * starts during another's build runs a whole bundle, old or new. Builds older than a day are removed.
 * Staleness goes by modification times (of the sources, package.json, package-lock.json and this file): a
 * file put back with an older time (`cp -p`, an unpacked archive) is not seen; removing the folder forces a build.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const cacheDir = path.join(root, 'node_modules/.cache/aethelred-cli');
const currentFile = path.join(cacheDir, 'current.json');
const DAY_MS = 86_400_000;
/**
 * Packages bundled in (pure JavaScript, on every command's path, hundreds of files between them: resolving
 * and compiling them one by one is most of a start-up); every other package stays external and loads,
 * if at all, from node_modules when the code that needs it runs.
 */
const BUNDLED_PACKAGES = new Set(['drizzle-orm', 'zod', 'postgres', 'csv-parse']);

/** esbuild plugin: bare imports of packages outside BUNDLED_PACKAGES stay imports (the `@/` alias is the project's own). */
const externalPackages = {
  name: 'external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@/')) return undefined;
      const name = args.path.split('/').slice(0, args.path.startsWith('@') ? 2 : 1).join('/');
      return BUNDLED_PACKAGES.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

/** The current build ({ dir, startedAtMs, inputs }), or null when there is none or a source changed since it started. */
function currentBuild() {
  if (!existsSync(currentFile)) return null;
  const build = JSON.parse(readFileSync(currentFile, 'utf8'));
  if (!existsSync(path.join(cacheDir, build.dir, 'cli.mjs'))) return null;
  for (const input of build.inputs) {
    const stat = statSync(path.join(root, input), { throwIfNoEntry: false });
    if (!stat || stat.mtimeMs >= build.startedAtMs) return null;
  }
  return build;
}

async function build() {
  // The esbuild that tsx (the TypeScript runner the project already installs) depends on and runs itself.
  const esbuild = createRequire(import.meta.resolve('tsx'))('esbuild');
  const startedAtMs = Date.now();
  const dir = `build-${startedAtMs}-${process.pid}`;
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { cli: 'scripts/cli.ts' },
    outdir: path.join(cacheDir, dir),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    plugins: [externalPackages],
    outExtension: { '.js': '.mjs' },
    tsconfig: 'tsconfig.json',
    metafile: true,
    logLevel: 'error',
  });
  // Bundled packages' own files change only with an install, which rewrites package-lock.json: checking it stands for them.
  const sources = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'));
  const inputs = [...sources, 'package.json', 'package-lock.json', 'scripts/run-cli.mjs'].filter((input) => existsSync(path.join(root, input)));
  const build = { dir, startedAtMs, inputs };
  const next = `${currentFile}.${process.pid}`;
  writeFileSync(next, JSON.stringify(build));
  renameSync(next, currentFile);
  for (const old of readdirSync(cacheDir)) {
    const stamp = /^build-(\d+)-\d+$/.exec(old);
    if (stamp && old !== dir && Number(stamp[1]) < startedAtMs - DAY_MS) rmSync(path.join(cacheDir, old), { recursive: true, force: true });
  }
  return build;
}

const { dir } = currentBuild() ?? (await build());
await import(pathToFileURL(path.join(cacheDir, dir, 'cli.mjs')).href);
