-- Role CHECKs read the lists rendered from Python (gis/storage/rendered.py) instead of literals: databases
-- made before this file switch over here; a role added in Python needs no new migration.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role = ANY (fq_user_roles()));
ALTER TABLE staff DROP CONSTRAINT IF EXISTS staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check CHECK (role = ANY (fq_staff_roles()));
