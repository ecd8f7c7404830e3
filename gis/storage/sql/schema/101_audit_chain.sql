-- Audit: who, when, what, from where, result; hash-chained by a sealer; rows are never updated or deleted
-- except by audit_purge() (whole sealed periods, leaving a signed checkpoint).

ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS client_ip text NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS result text NOT NULL DEFAULT 'ok';
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_user_id_fkey;  -- users may be removed; rows stay

CREATE TABLE IF NOT EXISTS audit_chain (
    seq        bigint PRIMARY KEY,             -- order of sealing (1, 2, 3, ... without gaps)
    audit_id   bigint NOT NULL UNIQUE,
    prev_hash  bytea NOT NULL,
    hash       bytea NOT NULL,
    sealed_at  timestamptz NOT NULL DEFAULT now()
);

-- 'seal': the signed head after each sealing batch; 'purge': where the chain continues after a purge.
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('seal', 'purge')),
    upto_seq   bigint NOT NULL,
    head_hash  bytea NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    signature  bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_checkpoints_seq_idx ON audit_checkpoints (upto_seq);

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('fengqiao.audit_purge', true) = 'on' AND TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_chain_append_only ON audit_chain;
CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The one way to remove audit rows: everything sealed up to upto_seq, with the signed purge checkpoint.
CREATE OR REPLACE FUNCTION audit_purge(p_upto_seq bigint, p_head bytea, p_signature bytea) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    removed bigint;
BEGIN
    PERFORM set_config('fengqiao.audit_purge', 'on', true);
    INSERT INTO audit_checkpoints (kind, upto_seq, head_hash, signature) VALUES ('purge', p_upto_seq, p_head, p_signature);
    DELETE FROM audit_log WHERE id IN (SELECT audit_id FROM audit_chain WHERE seq <= p_upto_seq);
    GET DIAGNOSTICS removed = ROW_COUNT;
    DELETE FROM audit_chain WHERE seq <= p_upto_seq;
    DELETE FROM audit_checkpoints WHERE kind = 'seal' AND upto_seq <= p_upto_seq;
    PERFORM set_config('fengqiao.audit_purge', 'off', true);
    RETURN removed;
END $$;
