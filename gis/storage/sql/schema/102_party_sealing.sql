-- Parties' ID numbers and phones kept encrypted (AES-GCM in the application, FENGQIAO_DATA_KEY) next to
-- the keyed hash (exact search) and masks (display). The clear `phone` column is no longer written;
-- rows from earlier versions keep it until re-saved.
ALTER TABLE case_parties ADD COLUMN IF NOT EXISTS id_number_enc bytea;
ALTER TABLE case_parties ADD COLUMN IF NOT EXISTS phone_enc bytea;
ALTER TABLE case_parties ADD COLUMN IF NOT EXISTS phone_masked text;
