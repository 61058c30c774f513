-- Plugins: content-addressed packages, per-organization installs with granted capabilities,
-- per-group enablement with settings and circuit-breaker state, plugin storage, audit log.

CREATE TABLE plugin_packages (
    sha256     TEXT PRIMARY KEY,
    plugin_id  TEXT NOT NULL,
    version    TEXT NOT NULL,
    manifest   TEXT NOT NULL,
    wasm       BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE plugin_installs (
    org_id       TEXT NOT NULL REFERENCES organizations(id),
    plugin_id    TEXT NOT NULL,
    package_sha  TEXT NOT NULL REFERENCES plugin_packages(sha256),
    grants       TEXT NOT NULL,
    installed_by TEXT NOT NULL,
    installed_at INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, plugin_id)
);

CREATE TABLE plugin_enablements (
    group_id         TEXT NOT NULL REFERENCES groups(id),
    plugin_id        TEXT NOT NULL,
    org_id           TEXT NOT NULL,
    settings         TEXT NOT NULL,
    hook_fail_open   BOOLEAN NOT NULL DEFAULT 1,
    hook_deadline_ms INTEGER NOT NULL,
    enabled_by       TEXT NOT NULL,
    enabled_at       INTEGER NOT NULL,
    failures         INTEGER NOT NULL DEFAULT 0,
    trips            INTEGER NOT NULL DEFAULT 0,
    disabled_reason  TEXT,
    disabled_until   INTEGER,
    PRIMARY KEY (group_id, plugin_id)
);
CREATE INDEX plugin_enablements_org ON plugin_enablements(org_id, plugin_id);

CREATE TABLE plugin_kv (
    org_id     TEXT NOT NULL,
    plugin_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      BLOB NOT NULL,
    expires_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, plugin_id, scope, key)
);

CREATE TABLE audit_log (
    id       TEXT PRIMARY KEY,
    org_id   TEXT,
    actor_id TEXT,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    detail   TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX audit_log_org ON audit_log(org_id, at);

ALTER TABLE messages ADD COLUMN plugin_id TEXT;
ALTER TABLE messages ADD COLUMN card TEXT;
