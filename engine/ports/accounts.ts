/**
 * The account storage port: stored accounts (settings and risk limits) and each paper account's
 * durable simulation state. `db/repositories/account-repository.ts` implements it; the schema
 * that validates settings at the edge is engine/account/account-config.ts.
 */
import type { MarketType, OrderSide, OrderStatus, OrderType } from '../core/types';
import type { RiskStateRecord } from './risk-state';
import type { SessionFence } from './live-sessions';

/** A number that survives JSON: non-finite values as strings. */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** One stored order of a {@link PaperExchangeState}. */
export interface PaperOrderState {
  id: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  status: OrderStatus;
  amount: number;
  filled: number;
  filledNotional: number;
  price: number | null;
  stopPrice: number | null;
  fee: number;
  reduceOnly: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  reason: string | null;
  triggered: boolean;
}

/** One symbol's book of a {@link PaperExchangeState}; `openOrderIds` in creation order. */
export interface PaperSymbolState {
  symbol: string;
  amountSigned: number;
  entryPrice: number;
  markPrice: JsonNumber;
  unrealizedPnl: number;
  realizedPnl: number;
  margin: number;
  liquidationPrice: JsonNumber;
  feesPaid: number;
  fundingPaid: number;
  openedAtMs: JsonNumber;
  openedQty: number;
  entryNotional: number;
  closedQty: number;
  exitNotional: number;
  /** Entry fees of the open amount and funding already moved to closed parts (absent in older states). */
  entryFeesOpen?: number;
  fundingMoved?: number;
  /** Reductions not yet reported as a closed part (absent in older states: 0). */
  pendQty?: number;
  pendEntryNotional?: number;
  pendExitNotional?: number;
  pendRealized?: number;
  pendFees?: number;
  pendFunding?: number;
  lastOpenTimeMs: JsonNumber;
  lastVolume: number;
  usedVolume: number;
  nextFundingMs: JsonNumber;
  fundingCursor: number;
  openOrderIds: string[];
}

/** The durable state of a paper account (see `exportState`). Money in the quote currency. */
export interface PaperExchangeState {
  version: 1;
  marketType: MarketType;
  quoteCurrency: string;
  wallet: number;
  realizedTotal: number;
  feesTotal: number;
  fundingTotal: number;
  orderSeq: number;
  liquidationSeq: number;
  symbols: PaperSymbolState[];
  orders: PaperOrderState[];
}

/**
 * The kinds of account: a paper account simulates its exchange (state stored here); a venue account
 * wraps the API keys stored for one venue and trades there (the venue holds its state).
 */
export const AccountKind = { Paper: 'paper', Venue: 'venue' } as const;
export type AccountKind = (typeof AccountKind)[keyof typeof AccountKind];

/** What an operator sets on an account, defaults applied (validated by engine/account/account-config.ts). */
export interface AccountSettings {
  name: string;
  marketType: 'spot' | 'futures';
  quoteCurrency: string;
  /** Starting wallet balance in the quote currency. */
  initialBalance: number;
  /** Limit-order fee, bps (negative = rebate). */
  makerFeeBps: number;
  /** Market/stop fee, bps. */
  takerFeeBps: number;
  /** Full bid-ask spread, bps; a taker pays half. */
  spreadBps: number;
  /** Extra adverse move on taker fills, bps. */
  slippageBps: number;
  /** Largest share of a candle's volume the account may trade, (0, 1]. */
  maxVolumeShare: number;
  /** Futures leverage of every position; spot: 1. */
  leverage: number;
  marginMode: 'cross' | 'isolated';
}

/** A stored account. */
export interface AccountRecord {
  id: string;
  kind: AccountKind;
  /** Venue accounts: the venue id (engine/venues/registry.ts) whose stored keys the account trades with. */
  venue?: string;
  settings: AccountSettings;
  /** The account's risk limits (the risk group); null = the installation's defaults. */
  riskLimits: Record<string, unknown> | null;
  createdAtMs: number;
  updatedAtMs: number;
  updatedBy: string | null;
}

/** Storage of accounts and of each paper account's simulation state. */
export interface AccountRepository {
  list(): Promise<AccountRecord[]>;
  get(id: string): Promise<AccountRecord | null>;
  /** Inserts a new account; false when the id exists (nothing changes). */
  insert(record: AccountRecord): Promise<boolean>;
  /** Replaces settings and risk limits. */
  update(record: AccountRecord): Promise<void>;
  /** The stored paper state, null before the first save. */
  loadState(id: string): Promise<PaperExchangeState | null>;
  /**
   * Stores the paper state and, when given, the account's risk state in one transaction, so a
   * crash leaves either both or neither. With `fence` (a live session's candle) the write is refused
   * whole unless the session's lease is still under that fencing token.
   * @throws StaleLeaseError when `fence` is no longer current.
   */
  saveState(id: string, state: PaperExchangeState, updatedAtMs: number, risk?: RiskStateRecord, fence?: SessionFence): Promise<void>;
}
