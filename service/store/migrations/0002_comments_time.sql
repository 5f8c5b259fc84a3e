-- ListenWell web service schema, version 2: threaded comments pinned to a time,
-- and the name of the uploaded file (shown as the session's source, never a server path).
-- comments.at_seconds already exists (version 1); old comments keep their time and
-- become top-level comments (parent_id NULL).
ALTER TABLE comments ADD COLUMN parent_id INTEGER REFERENCES comments(id) ON DELETE CASCADE;
CREATE INDEX comments_parent ON comments(parent_id);
ALTER TABLE sessions ADD COLUMN source_name TEXT;
