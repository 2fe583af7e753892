-- The halt fields of risk_state get a version: a new row starts at 1 and a trigger adds 1 whenever an
-- update changes halted, reason or halt time (whoever writes it: a server, a job, an operator in psql).
-- A session's post-candle save is a compare-and-set on it, so a halt written by another process (a web
-- server, the control bus) between the session's read and its save is never overwritten.
ALTER TABLE "risk_state" ADD COLUMN IF NOT EXISTS "halt_version" integer DEFAULT 1 NOT NULL;
--> statement-breakpoint
CREATE FUNCTION aethelred_risk_state_halt_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.halted, NEW.halt_reason, NEW.halted_at_ms) IS DISTINCT FROM (OLD.halted, OLD.halt_reason, OLD.halted_at_ms) THEN
    NEW.halt_version := OLD.halt_version + 1;
  ELSE
    NEW.halt_version := OLD.halt_version;
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER risk_state_halt_version BEFORE UPDATE ON "risk_state" FOR EACH ROW EXECUTE FUNCTION aethelred_risk_state_halt_version();
