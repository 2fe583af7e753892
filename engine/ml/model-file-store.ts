/**
 * The filesystem implementation of the `ModelFileStore` port (`engine/ports/model-file-store.ts`)
 * the composition root reads at start to import the files older versions left under
 * `${dataDir}/models/<kind>/v<version>.onnx` into the database. Paths are relative to the store's
 * root and may not escape it.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError, RepositoryError, ValidationError } from '../core/errors';
import type { ModelFileStore } from '../ports/model-file-store';

const SAFE_FILE = /^[a-z0-9][a-z0-9-]*\/v[0-9]+\.onnx$/;

/**
 * A store rooted at `rootDir` (created on first write).
 * @throws ValidationError (from its methods) for a file name other than `<kind>/v<n>.onnx`.
 */
export function createFsModelFileStore(rootDir: string): ModelFileStore {
  const resolve = (file: string) => {
    if (!SAFE_FILE.test(file)) throw new ValidationError('file', file, 'expected "<kind>/v<version>.onnx"');
    return path.join(rootDir, file);
  };
  let sequence = 0;
  return {
    async write(file, bytes) {
      const target = resolve(file);
      const temporary = `${target}.${process.pid}.${++sequence}.tmp`;
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(temporary, bytes);
        await rename(temporary, target);
      } catch (error) {
        await rm(temporary, { force: true }).catch(() => undefined);
        throw new RepositoryError(`writing model file "${target}" failed: ${(error as Error).message}`, error);
      }
    },
    async read(file) {
      const target = resolve(file);
      try {
        return new Uint8Array(await readFile(target));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`model file "${target}" does not exist`);
        throw new RepositoryError(`reading model file "${target}" failed: ${(error as Error).message}`, error);
      }
    },
    async has(file) {
      const target = resolve(file);
      try {
        return (await stat(target)).isFile();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw new RepositoryError(`checking model file "${target}" failed: ${(error as Error).message}`, error);
      }
    },
  };
}
