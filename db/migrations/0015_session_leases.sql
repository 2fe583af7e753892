-- Live sessions are owned by one trader at a time through a lease; every write of a session carries
-- the fencing token of its claim and is refused once the token moved on (another trader claimed it).
ALTER TABLE "live_sessions" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "live_sessions" ADD COLUMN "lease_expires_at_ms" bigint;--> statement-breakpoint
ALTER TABLE "live_sessions" ADD COLUMN "fencing_token" bigint DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- The sign-in rate limiter's fixed windows, shared by every server on the database.
CREATE TABLE IF NOT EXISTS "auth_rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"count" integer NOT NULL,
	"reset_at_ms" bigint NOT NULL
);
