-- Full-text message search. Each message's text is segmented into words by the host
-- (jieba, see courtyard_domain::message_search) and stored here as a tsvector built from
-- those words verbatim (array_to_tsvector: no parser, no stemming, so Chinese words
-- survive), keyed by the message's seq. Keep in step with ../sqlite/0008_message_search.sql.

CREATE TABLE message_search (
    seq   BIGINT PRIMARY KEY REFERENCES messages(seq) ON DELETE CASCADE,
    terms TSVECTOR NOT NULL
);
CREATE INDEX message_search_terms ON message_search USING GIN (terms);

-- Messages written before this migration are indexed by a background job at start-up,
-- from the newest down to this position; the row is removed when it is done.
INSERT INTO meta (key, value)
SELECT 'search_backfill_upto', CAST(MAX(seq) AS TEXT) FROM messages HAVING MAX(seq) IS NOT NULL;
