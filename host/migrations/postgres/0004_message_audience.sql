-- Cards a plugin shows to part of a group (contract 0.3.0 `post-card-for`): the person ids
-- who may see the message, its thread and its events, as a JSON array; NULL is the whole
-- group. Replies copy their thread root's audience, events their message's.
ALTER TABLE messages ADD COLUMN audience TEXT;
ALTER TABLE events ADD COLUMN audience TEXT;
