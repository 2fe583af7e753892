/**
 * The veto model of a session with veto "on" (following deploys). The session asks `active()` at every
 * entry, so a version deployed (or loaded) later reaches it at its next candle. While no intent-veto model is
 * loaded in this process:
 * - none is deployed (`deployed()` says so): entries pass, journaled with model version {@link VETO_NONE_DEPLOYED}
 *   ("on" follows the deployed model, and there is none yet);
 * - one is deployed but did not load here (or `deployed` is not given, so it cannot tell): the session fails
 *   closed, every entry is vetoed (loss probability 1, model version {@link VETO_NOT_LOADED}, journaled as
 *   `vetoed`); exits and stops keep being managed. A new session is refused in this case (see the manager).
 */
import type { Logger } from '../core/logger';
import type { VetoModel } from '../decision/veto-model';

/** The model version a session journals with the entries it vetoes while the deployed intent-veto model is not loaded. */
export const VETO_NOT_LOADED = 'intent-veto not loaded: entries are vetoed until one is deployed or loads';

/** The model version a session journals with the entries it lets through while no intent-veto model is deployed. */
export const VETO_NONE_DEPLOYED = 'intent-veto none deployed: entries pass until one is deployed';

/**
 * A veto following `active()` (the intent-veto model loaded now, or null), vetoing every entry while it is null.
 * Logs once each time the model goes missing and when it is back.
 */
export function followingVeto(active: () => VetoModel | null, log: { logger: Logger; session: string }, deployed?: () => Promise<boolean>): VetoModel {
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
        const noneDeployed = deployed ? !(await deployed().catch(() => true)) : false;
        if (noneDeployed) {
          lastVersion = VETO_NONE_DEPLOYED;
          return 0;
        }
        if (!missing) log.logger.error({ session: log.session }, 'the deployed intent-veto model is not loaded here; the session vetoes every entry until it loads');
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
