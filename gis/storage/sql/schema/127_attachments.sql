-- Attachments of a case (photos from the field, later PDFs): kept in the database itself, so backups,
-- replicas and every application node carry them. Rows follow the case's row security: whoever cannot read
-- the case sees no attachment of it and cannot add one.

CREATE TABLE IF NOT EXISTS attachments (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    dispatch_id   bigint REFERENCES dispatch_orders (id) ON DELETE SET NULL,  -- the order it was taken for
    uploaded_by   integer REFERENCES users (id) ON DELETE SET NULL,
    uploader_name text NOT NULL DEFAULT '',
    -- Decided from the first bytes of the content (gis/attachments/content.py), never from a name or header.
    content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'application/pdf')),
    size_bytes    integer NOT NULL CHECK (size_bytes > 0),
    sha256        bytea NOT NULL CHECK (octet_length(sha256) = 32),
    content       bytea NOT NULL,
    -- Where the photo was taken, from its EXIF GPS tags (WGS84), read on the phone before resizing.
    exif_lon      double precision CHECK (exif_lon BETWEEN -180 AND 180),
    exif_lat      double precision CHECK (exif_lat BETWEEN -90 AND 90),
    exif_taken_at timestamptz,
    -- The phone's own key for the upload: a retry after a lost answer finds the first one.
    client_key    text CHECK (length(client_key) BETWEEN 8 AND 64),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((exif_lon IS NULL) = (exif_lat IS NULL))
);
-- The content is compressed already (JPEG, PNG, WebP, PDF streams): stored as is, out of line.
ALTER TABLE attachments ALTER COLUMN content SET STORAGE EXTERNAL;
CREATE INDEX IF NOT EXISTS attachments_case_idx ON attachments (case_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS attachments_client_key_idx ON attachments (uploaded_by, client_key)
    WHERE client_key IS NOT NULL;

ALTER TABLE attachments ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS region ON attachments;
CREATE POLICY region ON attachments USING (EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id))
    WITH CHECK (EXISTS (SELECT 1 FROM cases c WHERE c.id = case_id));
