-- An order ended by its case (closed, returned, marked duplicate) says so in a machine-readable code next to
-- the sentence people read; NULL for orders ended by a person.
ALTER TABLE dispatch_orders ADD COLUMN IF NOT EXISTS end_reason text;
