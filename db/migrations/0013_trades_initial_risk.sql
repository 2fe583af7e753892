-- The risk each trade row took at entry (|entry − initial stop| × amount, quote currency), for average R; null when unknown.
ALTER TABLE "trades" ADD COLUMN "initial_risk" numeric;