-- Uploaded files. The bytes live in the object store (a local directory by default) under
-- `<org_id>/<id>`; this table holds what the host knows about them. A row is written only
-- after its object is complete, and removed before its object is deleted.
-- The same text runs on SQLite and PostgreSQL: keep it identical in ../sqlite and ../postgres.

CREATE TABLE files (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    uploaded_by  TEXT NOT NULL REFERENCES people(id),
    -- The cleaned display name; never used as a storage path.
    name         TEXT NOT NULL,
    -- Detected from the content, not from the name.
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    -- Lowercase hex SHA-256 of the content; also the download's ETag.
    sha256       TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
-- An organization's usage against its quota.
CREATE INDEX files_org ON files(org_id, size);
CREATE INDEX files_uploader ON files(uploaded_by, created_at);

-- People a file was shared with, besides its uploader.
CREATE TABLE file_grants (
    file_id    TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    person_id  TEXT NOT NULL REFERENCES people(id),
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (file_id, person_id)
);
CREATE INDEX file_grants_person ON file_grants(person_id);
