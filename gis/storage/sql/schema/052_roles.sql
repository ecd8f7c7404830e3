-- Sign-in roles as gis.policy.Role defines them (a test compares this constraint with the enum).
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role = ANY (fq_user_roles()));
