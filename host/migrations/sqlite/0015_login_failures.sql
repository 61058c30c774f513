-- Failed sign-ins per account and per client address, counted in the database so that
-- every node of a cluster throttles the same attempts. A row counts the failures since
-- `window_start`; a failure after the window starts a new count. The same text runs on
-- SQLite and PostgreSQL: keep it identical in ../sqlite and ../postgres.

CREATE TABLE login_failures (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    window_start  BIGINT NOT NULL
);

CREATE INDEX login_failures_window ON login_failures (window_start);
