/** The per-process runtime of one account (built by the account book). */
import type { RiskStateRepository } from '../ports/risk-state';
import type { PaperExchange, PaperTradeClosed } from '../execution/paper-exchange';
import type { RiskDesk } from '../risk/risk-desk';
import type { AccountRecord } from '../ports/accounts';

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
  /** Stores the paper state (with the risk state) when it changed since the last save. */
  persist(): Promise<void>;
  /** Adopts a halt or resume stored by another process or request since this runtime last wrote. */
  syncControl(): Promise<void>;
  /** Gives a symbol with no price yet the close of its last stored candle, so a manual order can be priced. @throws NotFoundError when no candles are stored. */
  ensurePrice(symbol: string): Promise<{ exchange: string; timeframe: string; price: number }>;
  /** Counts sessions using the runtime (the fee model cannot change under them). */
  acquire(): () => void;
}

