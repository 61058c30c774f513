-- Courtyard core schema (SQLite). Timestamps are Unix epoch milliseconds; ids are UUIDv7 text.
-- Keep in step with ../postgres/0001_core.sql: the same queries run on both.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE organizations (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    slug                  TEXT NOT NULL UNIQUE,
    read_receipts_enabled BOOLEAN NOT NULL DEFAULT 1,
    anonymous_posts_enabled BOOLEAN NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL
);

CREATE TABLE people (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations(id),
    email         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    title         TEXT NOT NULL DEFAULT '',
    department_id TEXT,
    phone         TEXT NOT NULL DEFAULT '',
    avatar_url    TEXT NOT NULL DEFAULT '',
    company       TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL,
    status        TEXT NOT NULL,
    password_hash TEXT,
    search_text   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX people_org ON people(org_id, display_name);

CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    parent_id   TEXT REFERENCES groups(id),
    head_id     TEXT REFERENCES people(id),
    direct_key  TEXT UNIQUE,
    archived    BOOLEAN NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX groups_org ON groups(org_id, kind);
CREATE INDEX groups_parent ON groups(parent_id);

CREATE TABLE group_members (
    group_id  TEXT NOT NULL REFERENCES groups(id),
    person_id TEXT NOT NULL REFERENCES people(id),
    role      TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    read_seq  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX group_members_person ON group_members(person_id);

CREATE TABLE group_partners (
    group_id   TEXT NOT NULL REFERENCES groups(id),
    org_id     TEXT NOT NULL REFERENCES organizations(id),
    status     TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    decided_by TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, org_id)
);
CREATE INDEX group_partners_org ON group_partners(org_id, status);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    seq             INTEGER NOT NULL UNIQUE,
    group_id        TEXT NOT NULL REFERENCES groups(id),
    kind            TEXT NOT NULL,
    author_id       TEXT,
    author_proof    TEXT,
    anonymous       BOOLEAN NOT NULL DEFAULT 0,
    thread_root_id  TEXT,
    body            TEXT NOT NULL,
    mentions        TEXT NOT NULL DEFAULT '[]',
    mentions_all    BOOLEAN NOT NULL DEFAULT 0,
    txn_key         TEXT NOT NULL UNIQUE,
    reply_count     INTEGER NOT NULL DEFAULT 0,
    burn_after_secs INTEGER,
    burn_at         INTEGER,
    pinned_by       TEXT,
    pinned_at       INTEGER,
    created_at      INTEGER NOT NULL,
    edited_at       INTEGER,
    deleted_at      INTEGER
);
CREATE INDEX messages_group ON messages(group_id, thread_root_id, seq);
CREATE INDEX messages_thread ON messages(thread_root_id, seq);
CREATE INDEX messages_burn ON messages(burn_at);

CREATE TABLE reactions (
    message_id TEXT NOT NULL REFERENCES messages(id),
    person_id  TEXT NOT NULL REFERENCES people(id),
    emoji      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, emoji, person_id)
);

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     TEXT NOT NULL,
    group_id   TEXT,
    person_id  TEXT,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX events_group ON events(group_id, seq);
CREATE INDEX events_person ON events(person_id, seq);
CREATE INDEX events_created ON events(created_at);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES people(id),
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    id           TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER NOT NULL
);
CREATE INDEX sessions_person ON sessions(person_id);
