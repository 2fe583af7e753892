ALTER TABLE "tickets" ADD COLUMN "dedupe_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_dedupe_key_idx" ON "tickets" USING btree ("dedupe_key");