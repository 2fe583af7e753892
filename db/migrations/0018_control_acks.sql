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
