CREATE TABLE "studies" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"request" jsonb NOT NULL,
	"ticket_id" text,
	"progress_done" integer DEFAULT 0 NOT NULL,
	"progress_total" integer DEFAULT 0 NOT NULL,
	"progress_message" text,
	"created_at_ms" bigint NOT NULL,
	"created_by" text,
	"started_at_ms" bigint,
	"finished_at_ms" bigint,
	"error" text,
	"result" jsonb,
	"applied_at_ms" bigint,
	"applied_by" text,
	CONSTRAINT "studies_status_check" CHECK ("studies"."status" IN ('queued', 'running', 'completed', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX "studies_created_idx" ON "studies" USING btree ("created_at_ms","id");
--> statement-breakpoint
CREATE TABLE "study_trials" (
	"study_id" text NOT NULL,
	"trial_key" text NOT NULL,
	"candidate_index" integer NOT NULL,
	"sample" text NOT NULL,
	"window_index" integer,
	"rung" integer,
	"from_ms" bigint NOT NULL,
	"to_ms" bigint NOT NULL,
	"params" jsonb NOT NULL,
	"metrics" jsonb NOT NULL,
	"score" double precision,
	"daily_returns" jsonb NOT NULL,
	"equity" jsonb,
	CONSTRAINT "study_trials_pk" PRIMARY KEY("study_id","trial_key"),
	CONSTRAINT "study_trials_study_fk" FOREIGN KEY ("study_id") REFERENCES "studies"("id") ON DELETE CASCADE,
	CONSTRAINT "study_trials_sample_check" CHECK ("study_trials"."sample" IN ('full', 'in', 'out'))
);
