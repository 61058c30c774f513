-- Plugin contract 0.2.0: records (JSON documents with typed links to people, groups and
-- messages), one-shot timers and scheduled jobs, and the organization's time zone that
-- schedules run in. Timestamps are Unix epoch milliseconds.
-- The same text runs on SQLite and PostgreSQL: keep it identical in ../sqlite and ../postgres.

ALTER TABLE organizations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

CREATE TABLE plugin_records (
    org_id     TEXT NOT NULL,
    plugin_id  TEXT NOT NULL,
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    data       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, plugin_id, collection, id)
);
-- A collection newest update first (keyset pages on (updated_at, id)).
CREATE INDEX plugin_records_recent
    ON plugin_records(org_id, plugin_id, collection, updated_at, id);

-- A record's links, replaced on every write; updated_at is the record's, so a search by
-- target pages newest first without touching the records.
CREATE TABLE plugin_record_links (
    org_id      TEXT NOT NULL,
    plugin_id   TEXT NOT NULL,
    collection  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    rel         TEXT NOT NULL,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('person', 'group', 'message')),
    target_id   TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, plugin_id, collection, record_id, rel, target_kind, target_id)
);
CREATE INDEX plugin_record_links_target
    ON plugin_record_links(org_id, plugin_id, collection, target_kind, target_id, rel, updated_at);
-- Every plugin record about one person (or group, or message), across plugins.
CREATE INDEX plugin_record_links_about
    ON plugin_record_links(org_id, target_kind, target_id);

-- Timers a plugin set (kind 'timer', key chosen by the plugin) and the manifest's scheduled
-- jobs (kind 'schedule', key = job name). A node claims due rows for a lease; a replaced
-- timer gets a new id, so a node finishing the old one touches nothing.
CREATE TABLE plugin_timers (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    plugin_id     TEXT NOT NULL,
    group_id      TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('timer', 'schedule')),
    key           TEXT NOT NULL,
    payload       TEXT NOT NULL,
    due_at        BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    claimed_by    TEXT,
    claimed_until BIGINT,
    created_at    BIGINT NOT NULL,
    UNIQUE (org_id, plugin_id, kind, key)
);
CREATE INDEX plugin_timers_due ON plugin_timers(due_at);
