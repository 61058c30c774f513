-- Jobs that must run on one host at a time in a cluster (email digests, webhook
-- deliveries, retention): the node holding a job's unexpired lease runs it. The same text
-- runs on SQLite and PostgreSQL: keep it identical in ../sqlite and ../postgres.

CREATE TABLE job_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
