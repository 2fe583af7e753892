/**
 * Risk state storage port: a halt survives restarts.
 * engine/ports holds every interface the engine needs from outside; it imports only engine/core and other ports.
 */
/** Persisted risk state: survives restarts so a halt stays a halt. */
export interface RiskStateRecord {
  accountId: string;
  halted: boolean;
  haltReason: string | null;
  haltedAtMs: number | null;
  dayStartEquity: number;
  dayStartMs: number;
  peakEquity: number;
  updatedAtMs: number;
}

export interface RiskStateRepository {
  load(accountId: string): Promise<RiskStateRecord | null>;
  save(state: RiskStateRecord): Promise<void>;
}
