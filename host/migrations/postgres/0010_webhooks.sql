-- Webhooks. Incoming: a secret URL that posts into a group as a bot. Outgoing: a group's
-- events delivered to an external URL, signed, retried, logged. The same text runs on
-- SQLite and PostgreSQL: keep it identical in ../sqlite and ../postgres.

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES organizations(id),
    group_id        TEXT NOT NULL REFERENCES groups(id),
    -- 'incoming' or 'outgoing'
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    -- Incoming: keyed digest of the URL token. Outgoing: unused (empty).
    token_digest    TEXT NOT NULL,
    -- The HMAC-SHA256 key: outgoing deliveries are signed with it; incoming requests
    -- that carry a signature are checked with it (and must, when require_signature).
    signing_secret  TEXT NOT NULL,
    require_signature BOOLEAN NOT NULL DEFAULT FALSE,
    url             TEXT,
    -- Outgoing: JSON array of event kinds.
    events          TEXT NOT NULL DEFAULT '[]',
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    -- Outgoing: deliveries that failed for good in a row; at the limit the hook is disabled.
    failures        BIGINT NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX webhooks_group ON webhooks(group_id, kind);

CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks(id),
    event_kind       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    -- 'pending', 'delivered' or 'failed'
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT,
    last_status_code BIGINT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    finished_at      BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, created_at);

-- Messages posted through an incoming webhook name it: {"id": …, "name": …}.
ALTER TABLE messages ADD COLUMN bot TEXT;
