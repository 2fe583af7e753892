CREATE TABLE "backtest_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"config" jsonb NOT NULL,
	"config_hash" text NOT NULL,
	"exchange" text NOT NULL,
	"symbol" text NOT NULL,
	"timeframe" text NOT NULL,
	"from_ms" bigint NOT NULL,
	"to_ms" bigint NOT NULL,
	"metrics" jsonb,
	"equity" jsonb,
	"trade_count" integer,
	"decision_count" integer,
	"error" text,
	"started_at_ms" bigint NOT NULL,
	"finished_at_ms" bigint
);
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
	CONSTRAINT "candles_pk" PRIMARY KEY("exchange","symbol","timeframe","open_time_ms")
);
--> statement-breakpoint
CREATE TABLE "decision_log" (
	"id" text PRIMARY KEY NOT NULL,
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
	"inputs" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"client_order_id" text NOT NULL,
	"run_id" text,
	"exchange" text NOT NULL,
	"symbol" text NOT NULL,
	"side" text NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"amount" numeric NOT NULL,
	"filled" numeric NOT NULL,
	"price" numeric,
	"stop_price" numeric,
	"average_price" numeric,
	"fee" numeric NOT NULL,
	"reduce_only" boolean NOT NULL,
	"reason" text,
	"created_at_ms" bigint NOT NULL,
	"updated_at_ms" bigint NOT NULL,
	CONSTRAINT "orders_client_order_id_unique" UNIQUE("client_order_id")
);
--> statement-breakpoint
CREATE TABLE "positions" (
	"exchange" text NOT NULL,
	"symbol" text NOT NULL,
	"side" text NOT NULL,
	"amount" numeric NOT NULL,
	"entry_price" numeric NOT NULL,
	"leverage" numeric NOT NULL,
	"margin_mode" text NOT NULL,
	"margin" numeric NOT NULL,
	"realized_pnl" numeric NOT NULL,
	"fees" numeric NOT NULL,
	"funding" numeric NOT NULL,
	"opened_at_ms" bigint NOT NULL,
	"updated_at_ms" bigint NOT NULL,
	CONSTRAINT "positions_pk" PRIMARY KEY("exchange","symbol")
);
--> statement-breakpoint
CREATE TABLE "risk_state" (
	"account_id" text PRIMARY KEY NOT NULL,
	"halted" boolean NOT NULL,
	"halt_reason" text,
	"halted_at_ms" bigint,
	"day_start_equity" numeric NOT NULL,
	"day_start_ms" bigint NOT NULL,
	"peak_equity" numeric NOT NULL,
	"updated_at_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "snapshots" (
	"id" text PRIMARY KEY NOT NULL,
	"taken_at_ms" bigint NOT NULL,
	"kind" text NOT NULL,
	"equity" numeric NOT NULL,
	"payload" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"params" jsonb NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"progress" double precision DEFAULT 0 NOT NULL,
	"progress_message" text,
	"result" jsonb,
	"error" text,
	"created_at_ms" bigint NOT NULL,
	"started_at_ms" bigint,
	"finished_at_ms" bigint
);
--> statement-breakpoint
CREATE TABLE "trades" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text,
	"exchange" text NOT NULL,
	"symbol" text NOT NULL,
	"strategy" text NOT NULL,
	"side" text NOT NULL,
	"amount" numeric NOT NULL,
	"entry_price" numeric NOT NULL,
	"exit_price" numeric NOT NULL,
	"realized_pnl" numeric NOT NULL,
	"fees" numeric NOT NULL,
	"funding" numeric NOT NULL,
	"entry_time_ms" bigint NOT NULL,
	"exit_time_ms" bigint NOT NULL,
	"exit_reason" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "backtest_runs_started_idx" ON "backtest_runs" USING btree ("started_at_ms","id");--> statement-breakpoint
CREATE INDEX "backtest_runs_status_idx" ON "backtest_runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "decision_log_symbol_time_idx" ON "decision_log" USING btree ("symbol","time_ms","id");--> statement-breakpoint
CREATE INDEX "decision_log_strategy_time_idx" ON "decision_log" USING btree ("strategy","time_ms","id");--> statement-breakpoint
CREATE INDEX "decision_log_run_time_idx" ON "decision_log" USING btree ("run_id","time_ms","id");--> statement-breakpoint
CREATE INDEX "decision_log_time_idx" ON "decision_log" USING btree ("time_ms","id");--> statement-breakpoint
CREATE INDEX "orders_status_created_idx" ON "orders" USING btree ("status","created_at_ms");--> statement-breakpoint
CREATE INDEX "snapshots_kind_taken_idx" ON "snapshots" USING btree ("kind","taken_at_ms");--> statement-breakpoint
CREATE INDEX "tickets_status_created_idx" ON "tickets" USING btree ("status","created_at_ms");--> statement-breakpoint
CREATE INDEX "trades_symbol_exit_idx" ON "trades" USING btree ("symbol","exit_time_ms","id");--> statement-breakpoint
CREATE INDEX "trades_strategy_exit_idx" ON "trades" USING btree ("strategy","exit_time_ms","id");--> statement-breakpoint
CREATE INDEX "trades_run_exit_idx" ON "trades" USING btree ("run_id","exit_time_ms","id");--> statement-breakpoint
CREATE INDEX "trades_exit_idx" ON "trades" USING btree ("exit_time_ms","id");