/** The per-process runtime of one account (built by the account book). */
import type { RiskStateRepository } from '../ports/risk-state';
import type { PaperExchange, PaperTradeClosed } from '../execution/paper-exchange';
import type { RiskDesk } from '../risk/risk-desk';
import type { AccountRecord } from '../ports/accounts';
import type { SessionFence } from '../ports/live-sessions';

/** One account's trading machinery in this process. */
export interface AccountRuntime {
  readonly id: string;
  record(): AccountRecord;
  /**
   * The account's paper exchange (rebuilt, state kept, when its fee model changes while no session runs).
   * @throws ValidationError for a venue account (it has none; its venue holds the state).
   */
  exchange(): PaperExchange;
  /** Current equity in the quote currency: the paper exchange's, or read from the venue (last known, else the linked balance, when it cannot be read). */
  equity(): Promise<number>;
  /** The account's one risk desk; `risk.engine()` is what every loop of the account evaluates through. */
  readonly risk: RiskDesk;
  /** Risk state storage that remembers what this runtime wrote (sessions save through it). */
  readonly riskStore: RiskStateRepository;
  /** Subscribes to round trips the paper exchange closes; returns the unsubscribe. */
  onTradeClosed(handler: (trade: PaperTradeClosed) => void): () => void;
  /**
   * Stores the paper state (with the risk state) when it changed since the last save. With `fence` (a
   * live session's candle) the write is refused unless that session's lease is still under its token.
   * @throws StaleLeaseError when `fence` is no longer current (nothing is stored).
   */
  persist(fence?: SessionFence): Promise<void>;
  /**
   * Re-reads the stored paper state when no session of this process trades the account (another process
   * may have traded it since this runtime loaded it): a trader calls it before it resumes a session it
   * claimed. Returns whether it re-read; a venue account has nothing to re-read (false). With `onlyIfChanged`, only when
   * the stored state differs from what this copy last read or wrote (another process wrote since): otherwise this copy
   * stays, with what it holds unstored (the last prices of symbols priced for a manual order).
   */
  reloadIfIdle(options?: { onlyIfChanged?: boolean }): Promise<boolean>;
  /** Adopts a halt or resume stored by another process or request since this runtime last wrote. */
  syncControl(): Promise<void>;
  /** Gives a symbol with no price yet the close of its last stored candle, so a manual order can be priced. @throws NotFoundError when no candles are stored. */
  ensurePrice(symbol: string): Promise<{ exchange: string; timeframe: string; price: number }>;
  /** Counts sessions using the runtime (the fee model cannot change under them). */
  acquire(): () => void;
}

