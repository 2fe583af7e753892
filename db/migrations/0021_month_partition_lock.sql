-- aethelred_month_partition, as in 0018, now locks the default partition before moving a month's rows
-- out of it: a row of that month inserted into the default partition by another transaction while the
-- month is being created (an import or a journal write running at the same time) would otherwise make
-- ATTACH PARTITION fail ("updated partition constraint for default partition would be violated"). The
-- lock waits for such a writer to commit, then its rows move with the others; new writers wait until
-- the month's partition is attached and then go to it.
CREATE OR REPLACE FUNCTION aethelred_month_partition(parent text, at_ms bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  m timestamp := date_trunc('month', to_timestamp(at_ms / 1000.0) AT TIME ZONE 'UTC');
  lo bigint := (extract(epoch FROM m AT TIME ZONE 'UTC') * 1000)::bigint;
  hi bigint := (extract(epoch FROM (m + interval '1 month') AT TIME ZONE 'UTC') * 1000)::bigint;
  part text := parent || '_p' || to_char(m, 'YYYYMM');
  col text := CASE parent WHEN 'candles' THEN 'open_time_ms' WHEN 'decision_log' THEN 'time_ms' END;
BEGIN
  IF col IS NULL THEN
    RAISE EXCEPTION 'table "%" has no monthly partitions (candles, decision_log have)', parent;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext(part));
  IF to_regclass(quote_ident(part)) IS NOT NULL THEN
    RETURN part;
  END IF;
  EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', parent || '_default');
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
  EXECUTE format('WITH moved AS (DELETE FROM %I WHERE %I >= %s AND %I < %s RETURNING *) INSERT INTO %I SELECT * FROM moved', parent || '_default', col, lo, col, hi, part);
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', parent, part, lo, hi);
  RETURN part;
END $$;
