CREATE TABLE "app_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at_ms" bigint NOT NULL,
	"updated_by" text
);
--> statement-breakpoint
CREATE TABLE "live_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"exchange" text NOT NULL,
	"symbol" text NOT NULL,
	"timeframe" text NOT NULL,
	"config" jsonb NOT NULL,
	"status" text NOT NULL,
	"last_candle_ms" bigint,
	"live_trading" boolean DEFAULT false NOT NULL,
	"last_error" text,
	"started_at_ms" bigint,
	"updated_at_ms" bigint NOT NULL
);
