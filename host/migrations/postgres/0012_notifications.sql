-- Notifications for people who are away: email digests of missed mentions and direct
-- messages. The same text runs on SQLite and PostgreSQL: keep it identical in ../sqlite
-- and ../postgres.

-- A person's choices; no row means the defaults (digests on, no quiet hours).
CREATE TABLE notification_settings (
    person_id     TEXT PRIMARY KEY REFERENCES people(id),
    email_digest  BOOLEAN NOT NULL DEFAULT TRUE,
    -- Minutes after midnight in the organization's time zone; no email is sent from
    -- quiet_start until quiet_end (which may be past midnight). NULL: no quiet hours.
    quiet_start   BIGINT,
    quiet_end     BIGINT,
    updated_at    BIGINT NOT NULL
);

-- Messages that may need telling someone about: a direct message, or a mention of them.
-- Written with the message; the digest job emails what is still unread after a delay,
-- then removes the rows.
CREATE TABLE notification_queue (
    person_id   TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (person_id, message_id)
);
CREATE INDEX notification_queue_created ON notification_queue(created_at);
