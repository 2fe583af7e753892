/**
 * The veto model of a session with veto "on" (following deploys). The session asks `active()` at every
 * entry, so a version deployed (or loaded) later reaches it at its next candle. While no intent-veto model is
 * loaded in this process (none deployed since the session started, or the active one failed to load at
 * start), the session fails closed: every entry is vetoed (loss probability 1, model version
 * {@link VETO_NOT_LOADED}, journaled as `vetoed`), exits and stops keep being managed. A new session is
 * refused instead (see the manager): only a resumed one can meet this.
 */
import type { Logger } from '../core/logger';
import type { VetoModel } from '../decision/veto-model';

/** The model version a session journals with the entries it vetoes while no intent-veto model is loaded. */
export const VETO_NOT_LOADED = 'intent-veto not loaded: entries are vetoed until one is deployed or loads';

/**
 * A veto following `active()` (the intent-veto model loaded now, or null), vetoing every entry while it is null.
 * Logs once each time the model goes missing and when it is back.
 */
export function followingVeto(active: () => VetoModel | null, log: { logger: Logger; session: string }): VetoModel {
  let lastVersion: string | null = null;
  let missing = false;
  return {
    /** The version that answered the last prediction (else the one loaded now, or {@link VETO_NOT_LOADED}). */
    get version() {
      return lastVersion ?? active()?.version ?? VETO_NOT_LOADED;
    },
    get featureNames() {
      return active()?.featureNames ?? [];
    },
    async predictLossProbability(features) {
      const model = active();
      if (!model) {
        if (!missing) log.logger.error({ session: log.session }, 'no intent-veto model is loaded; the session vetoes every entry until one is deployed or loads');
        missing = true;
        lastVersion = VETO_NOT_LOADED;
        return 1;
      }
      if (missing) log.logger.info({ session: log.session, model: model.version }, 'an intent-veto model is loaded again; entries pass through it');
      missing = false;
      const p = await model.predictLossProbability(features);
      lastVersion = model.version;
      return p;
    },
  };
}
