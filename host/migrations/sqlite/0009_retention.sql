-- Message retention per organization and legal holds per group. The same text runs on
-- SQLite and PostgreSQL: keep it identical in ../sqlite and ../postgres.

-- Messages older than this many days are deleted by the retention job; NULL keeps them.
ALTER TABLE organizations ADD COLUMN message_retention_days BIGINT;

-- A group under legal hold keeps everything, whatever its organization's retention: who
-- placed the hold, when and why are part of the record.
CREATE TABLE legal_holds (
    group_id  TEXT PRIMARY KEY REFERENCES groups(id),
    org_id    TEXT NOT NULL REFERENCES organizations(id),
    placed_by TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    reason    TEXT NOT NULL
);
CREATE INDEX legal_holds_org ON legal_holds(org_id);

-- The retention job walks messages by age.
CREATE INDEX messages_created ON messages(created_at);
