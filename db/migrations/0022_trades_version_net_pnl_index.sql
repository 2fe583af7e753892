-- A version counter per journal table, so a server can cache what it computed from the table (the
-- journal page's per-tag breakdown) and know at the price of one primary-key read whether any server
-- changed the table since. Every statement that inserts, updates, deletes or truncates trades bumps
-- `trades` in the same transaction (a statement-level trigger: one row update per statement, not per
-- row). The counter is transactional, so a reader that sees version v also sees every trade written
-- before v; concurrent writers of trades queue on the counter row until the first one commits.
CREATE TABLE IF NOT EXISTS "journal_versions" (
	"name" text PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO "journal_versions" ("name", "version") VALUES ('trades', 0) ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION aethelred_bump_trades_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The counter next to the table that changed, whatever the writer's search_path.
  EXECUTE format('UPDATE %I.journal_versions SET version = version + 1 WHERE name = %L', TG_TABLE_SCHEMA, 'trades');
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "trades_version_bump" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "trades" FOR EACH STATEMENT EXECUTE FUNCTION aethelred_bump_trades_version();
--> statement-breakpoint
-- The journal's sort by net PnL orders by realized_pnl::float8 - fees::float8 - funding::float8 (the
-- engine's tradeNetPnl), which trades_pnl_idx (realized_pnl alone) cannot serve: every page sorted all
-- matching trades (about 130 ms at 200,000 trades). This index serves its keyset pages in both directions.
CREATE INDEX IF NOT EXISTS "trades_net_pnl_idx" ON "trades" USING btree ((("realized_pnl"::float8 - "fees"::float8 - "funding"::float8)), "id");
