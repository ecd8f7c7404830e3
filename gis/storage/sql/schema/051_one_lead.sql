-- One active lead per case (主办): a second lead is refused by the database; changing the lead is an
-- explicit step that demotes the current lead in the same transaction. Extra leads written before this
-- rule became assistants (the earliest lead keeps the role).
UPDATE dispatch_orders SET role = 'assist'
WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY case_id ORDER BY id) AS n
                             FROM dispatch_orders WHERE active AND role = 'lead') extra WHERE n > 1);
CREATE UNIQUE INDEX IF NOT EXISTS dispatch_one_lead_per_case ON dispatch_orders (case_id) WHERE active AND role = 'lead';
