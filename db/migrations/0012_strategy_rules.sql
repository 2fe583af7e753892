CREATE TABLE "strategy_rules" (
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"created_by" text,
	"created_at_ms" bigint NOT NULL,
	CONSTRAINT "strategy_rules_pk" PRIMARY KEY("name","version"),
	CONSTRAINT "strategy_rules_version_positive" CHECK ("strategy_rules"."version" >= 1)
);
