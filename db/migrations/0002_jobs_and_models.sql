CREATE TABLE "models" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"file" text NOT NULL,
	"sha256" text NOT NULL,
	"feature_names" jsonb NOT NULL,
	"training_from_ms" bigint NOT NULL,
	"training_to_ms" bigint NOT NULL,
	"metrics" jsonb NOT NULL,
	"params" jsonb NOT NULL,
	"ticket_id" text,
	"active" boolean DEFAULT false NOT NULL,
	"created_at_ms" bigint NOT NULL,
	"activated_at_ms" bigint
);
--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "max_attempts" integer DEFAULT 3 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "run_after_ms" bigint;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "runner" text DEFAULT 'in-process' NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "cancel_requested" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "updated_at_ms" bigint;--> statement-breakpoint
CREATE UNIQUE INDEX "models_kind_version_uq" ON "models" USING btree ("kind","version");--> statement-breakpoint
CREATE UNIQUE INDEX "models_one_active_per_kind_uq" ON "models" USING btree ("kind") WHERE "models"."active";--> statement-breakpoint
CREATE INDEX "tickets_kind_created_idx" ON "tickets" USING btree ("kind","created_at_ms");