/**
 * Strategy module port: compiles and evaluates one strategy file from the server's disk and returns
 * its exports. The composition root implements it with jiti (TypeScript at runtime), resolving
 * `aethelred/strategy` and `zod` to the server's own modules so a file's schemas and errors are the
 * engine's. engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */

/** Loads strategy files. Each call evaluates the file afresh (an edited file is read again, never cached). */
export interface StrategyModuleImporter {
  /**
   * Compiles and evaluates the module at `absolutePath` and returns its exports (`default`, named exports).
   * @throws whatever compiling or evaluating the file throws (a syntax error, an error thrown at load).
   */
  importModule(absolutePath: string): Promise<Record<string, unknown>>;
}
