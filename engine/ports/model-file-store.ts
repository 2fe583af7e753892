/**
 * Model file port: where trained model files (`<kind>/v<version>.onnx`, relative to the store's
 * root) are written and read back. `engine/ml/model-file-store.ts` implements it on the filesystem,
 * `db/repositories/model-file-repository.ts` in the database (what servers sharing one database use).
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */

/** Where model files live. File names are `<kind>/v<version>.onnx`; a path may not escape the store's root. */
export interface ModelFileStore {
  /**
   * Writes `bytes` to `file` atomically (a reader sees the old file or the whole new one).
   * @throws ValidationError for a path outside the store; RepositoryError when writing fails.
   */
  write(file: string, bytes: Uint8Array): Promise<void>;
  /** Reads the whole file. @throws NotFoundError when the file does not exist; RepositoryError on other failures. */
  read(file: string): Promise<Uint8Array>;
  /** Whether the file exists. @throws ValidationError for a path outside the store; RepositoryError on other failures. */
  has(file: string): Promise<boolean>;
}
