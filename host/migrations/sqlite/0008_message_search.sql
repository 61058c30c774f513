-- Full-text message search. Each message's text is segmented into words by the host
-- (jieba, see courtyard_domain::message_search) and stored here as space-separated terms,
-- keyed by the message's seq. Contentless: the text itself stays in `messages`; the index
-- holds only what finding it needs. Keep in step with ../postgres/0008_message_search.sql.

CREATE VIRTUAL TABLE message_search USING fts5(terms, content = '', contentless_delete = 1);

-- Messages written before this migration are indexed by a background job at start-up,
-- from the newest down to this position; the row is removed when it is done.
INSERT INTO meta (key, value)
SELECT 'search_backfill_upto', CAST(MAX(seq) AS TEXT) FROM messages HAVING MAX(seq) IS NOT NULL;
