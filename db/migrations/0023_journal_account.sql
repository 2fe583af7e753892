-- Trades and decisions record the account whose session made them (live, paper and replay sessions;
-- null on a backtest's rows), so an account's overview, snapshots and journal count its own trades and
-- not every account's. Rows journaled before this migration did not say: the live ones are attributed to
-- the default account, the account every session traded before accounts existed and the one sessions
-- trade when started without an account.
ALTER TABLE "trades" ADD COLUMN IF NOT EXISTS "account_id" text;
--> statement-breakpoint
UPDATE "trades" SET "account_id" = 'default' WHERE "run_id" IS NULL AND "account_id" IS NULL;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "trades_account_exit_idx" ON "trades" USING btree ("account_id", "exit_time_ms", "id");
--> statement-breakpoint
ALTER TABLE "decision_log" ADD COLUMN IF NOT EXISTS "account_id" text;
--> statement-breakpoint
UPDATE "decision_log" SET "account_id" = 'default' WHERE "run_id" IS NULL AND "account_id" IS NULL;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "decision_log_account_time_idx" ON "decision_log" USING btree ("account_id", "time_ms", "id");
