-- Files attached to messages. A message lists what it carries (id, name, type, size) as a
-- JSON array, NULL when nothing; `message_files` says which messages carry a file, so
-- anyone who may read one of them may download it — the messages' own policy decides.
-- The same text runs on SQLite and PostgreSQL: keep it identical in ../sqlite and ../postgres.

ALTER TABLE messages ADD COLUMN attachments TEXT;

CREATE TABLE message_files (
    file_id    TEXT NOT NULL REFERENCES files(id),
    message_id TEXT NOT NULL REFERENCES messages(id),
    PRIMARY KEY (file_id, message_id)
);
CREATE INDEX message_files_message ON message_files(message_id);
