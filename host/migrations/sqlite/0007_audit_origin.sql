-- Where an audited action came from: the client's IP address as the server saw it (the
-- peer address; behind a proxy, the proxy's). NULL for actions without a request (jobs).
-- The same text runs on SQLite and PostgreSQL: keep it identical in ../sqlite and ../postgres.

ALTER TABLE audit_log ADD COLUMN ip TEXT;
CREATE INDEX audit_log_org_action ON audit_log(org_id, action, at);
