-- A keyed hash of a party's normalised phone number (digits only, without +86), like id_hash: exact search
-- and duplicate checks without the number. Rows stored before it are filled by
-- `fengqiao cases backfill-phone-hash` (it needs the data key, so it is no plain migration).
ALTER TABLE case_parties ADD COLUMN IF NOT EXISTS phone_hash bytea;
CREATE INDEX IF NOT EXISTS case_parties_phone_hash_idx ON case_parties (phone_hash) WHERE phone_hash IS NOT NULL;
