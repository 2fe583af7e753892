CREATE TABLE "notification_settings" (
	"id" text PRIMARY KEY NOT NULL,
	"ciphertext" text NOT NULL,
	"updated_at_ms" bigint NOT NULL,
	CONSTRAINT "notification_settings_single_row" CHECK ("notification_settings"."id" = 'default')
);
