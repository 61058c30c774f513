-- Web Push: browsers' push subscriptions, one row per browser (its push service
-- endpoint). The same text runs on SQLite and PostgreSQL: keep it identical in ../sqlite
-- and ../postgres.

CREATE TABLE push_subscriptions (
    endpoint    TEXT PRIMARY KEY,
    person_id   TEXT NOT NULL REFERENCES people(id),
    -- The browser's P-256 public key and authentication secret (base64url), with which
    -- each message is encrypted for it alone (RFC 8291).
    p256dh      TEXT NOT NULL,
    auth        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_person ON push_subscriptions(person_id, created_at);
