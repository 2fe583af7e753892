-- Acknowledgements of control bus messages (LISTEN/NOTIFY): one row per message and process that acted on it.
CREATE TABLE "control_acks" (
	"message_id" text NOT NULL,
	"process_id" text NOT NULL,
	"kind" text NOT NULL,
	"outcome" text NOT NULL,
	"detail" text NOT NULL,
	"at_ms" bigint NOT NULL,
	CONSTRAINT "control_acks_message_id_process_id_pk" PRIMARY KEY("message_id","process_id")
);
--> statement-breakpoint
CREATE INDEX "control_acks_at_idx" ON "control_acks" USING btree ("at_ms");
--> statement-breakpoint
-- Monthly partitions (UTC calendar months, epoch-ms bounds) for the two tables that grow for years.
-- aethelred_month_partition(parent, at_ms) creates the month partition holding at_ms when missing,
-- moving rows of that month out of the default partition first; it is idempotent and serialised by
-- an advisory lock, and the server calls it on start and in the rollover job for months ahead.
CREATE FUNCTION aethelred_month_partition(parent text, at_ms bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m timestamp := date_trunc('month', to_timestamp(at_ms / 1000.0) AT TIME ZONE 'UTC');
  lo bigint := (extract(epoch FROM m AT TIME ZONE 'UTC') * 1000)::bigint;
  hi bigint := (extract(epoch FROM (m + interval '1 month') AT TIME ZONE 'UTC') * 1000)::bigint;
  part text := parent || '_p' || to_char(m, 'YYYYMM');
  col text := CASE parent WHEN 'candles' THEN 'open_time_ms' WHEN 'decision_log' THEN 'time_ms' END;
BEGIN
  IF col IS NULL THEN
    RAISE EXCEPTION 'table "%" has no monthly partitions (candles, decision_log have)', parent;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext(part));
  IF to_regclass(quote_ident(part)) IS NOT NULL THEN
    RETURN part;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
  EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *) INSERT INTO %I SELECT * FROM moved', parent || '_default', col, lo, col, hi, part);
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', parent, part, lo, hi);
  RETURN part;
END $$;
--> statement-breakpoint
ALTER TABLE "candles" RENAME TO "candles_unpartitioned";
--> statement-breakpoint
ALTER TABLE "candles_unpartitioned" RENAME CONSTRAINT "candles_pk" TO "candles_unpartitioned_pk";
--> statement-breakpoint
CREATE TABLE "candles" (
	"exchange" text NOT NULL,
	"symbol" text NOT NULL,
	"timeframe" text NOT NULL,
	"open_time_ms" bigint NOT NULL,
	"open" numeric NOT NULL,
	"high" numeric NOT NULL,
	"low" numeric NOT NULL,
	"close" numeric NOT NULL,
	"volume" numeric NOT NULL,
	CONSTRAINT "candles_pk" PRIMARY KEY("exchange","symbol","timeframe","open_time_ms"),
	CONSTRAINT "candles_ohlcv_check" CHECK ("low" <= least("open", "close") and "high" >= greatest("open", "close") and "volume" >= 0)
) PARTITION BY RANGE ("open_time_ms");
--> statement-breakpoint
CREATE TABLE "candles_default" PARTITION OF "candles" DEFAULT;
--> statement-breakpoint
DO $$
DECLARE month_ms bigint;
BEGIN
  FOR month_ms IN SELECT DISTINCT (extract(epoch FROM date_trunc('month', to_timestamp(open_time_ms / 1000.0) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') * 1000)::bigint FROM "candles_unpartitioned" LOOP
    PERFORM aethelred_month_partition('candles', month_ms);
  END LOOP;
END $$;
--> statement-breakpoint
INSERT INTO "candles" SELECT "exchange", "symbol", "timeframe", "open_time_ms", "open", "high", "low", "close", "volume" FROM "candles_unpartitioned";
--> statement-breakpoint
DROP TABLE "candles_unpartitioned";
--> statement-breakpoint
ALTER TABLE "decision_log" RENAME TO "decision_log_unpartitioned";
--> statement-breakpoint
DROP INDEX "decision_log_symbol_time_idx";
--> statement-breakpoint
DROP INDEX "decision_log_strategy_time_idx";
--> statement-breakpoint
DROP INDEX "decision_log_run_time_idx";
--> statement-breakpoint
DROP INDEX "decision_log_time_idx";
--> statement-breakpoint
ALTER TABLE "decision_log_unpartitioned" RENAME CONSTRAINT "decision_log_pkey" TO "decision_log_unpartitioned_pkey";
--> statement-breakpoint
-- The key includes the partition column (PostgreSQL requires it); ids stay unique as the journal makes them.
CREATE TABLE "decision_log" (
	"id" text NOT NULL,
	"run_id" text,
	"exchange" text NOT NULL,
	"symbol" text NOT NULL,
	"timeframe" text NOT NULL,
	"strategy" text NOT NULL,
	"time_ms" bigint NOT NULL,
	"outcome" text NOT NULL,
	"side" text NOT NULL,
	"strength" double precision NOT NULL,
	"reason" text NOT NULL,
	"inputs" jsonb NOT NULL,
	CONSTRAINT "decision_log_pkey" PRIMARY KEY("id","time_ms")
) PARTITION BY RANGE ("time_ms");
--> statement-breakpoint
CREATE INDEX "decision_log_symbol_time_idx" ON "decision_log" USING btree ("symbol","time_ms","id");
--> statement-breakpoint
CREATE INDEX "decision_log_strategy_time_idx" ON "decision_log" USING btree ("strategy","time_ms","id");
--> statement-breakpoint
CREATE INDEX "decision_log_run_time_idx" ON "decision_log" USING btree ("run_id","time_ms","id");
--> statement-breakpoint
CREATE INDEX "decision_log_time_idx" ON "decision_log" USING btree ("time_ms","id");
--> statement-breakpoint
CREATE TABLE "decision_log_default" PARTITION OF "decision_log" DEFAULT;
--> statement-breakpoint
DO $$
DECLARE month_ms bigint;
BEGIN
  FOR month_ms IN SELECT DISTINCT (extract(epoch FROM date_trunc('month', to_timestamp(time_ms / 1000.0) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') * 1000)::bigint FROM "decision_log_unpartitioned" LOOP
    PERFORM aethelred_month_partition('decision_log', month_ms);
  END LOOP;
END $$;
--> statement-breakpoint
INSERT INTO "decision_log" SELECT "id", "run_id", "exchange", "symbol", "timeframe", "strategy", "time_ms", "outcome", "side", "strength", "reason", "inputs" FROM "decision_log_unpartitioned";
--> statement-breakpoint
DROP TABLE "decision_log_unpartitioned";
