-- Live sessions are owned by one trader at a time through a lease; every write of a session carries
-- the fencing token of its claim and is refused once the token moved on (another trader claimed it).
ALTER TABLE "live_sessions" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "live_sessions" ADD COLUMN "lease_expires_at_ms" bigint;--> statement-breakpoint
ALTER TABLE "live_sessions" ADD COLUMN "fencing_token" bigint DEFAULT 0 NOT NULL;
