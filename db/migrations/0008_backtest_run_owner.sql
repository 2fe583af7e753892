ALTER TABLE "backtest_runs" ADD COLUMN "owner_host" text;--> statement-breakpoint
ALTER TABLE "backtest_runs" ADD COLUMN "owner_pid" integer;