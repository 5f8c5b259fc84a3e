-- Version 3: revocable log-in sessions, log-in throttling, case-insensitive user names.

-- One row per log-in. The browser's signed cookie holds only the random token;
-- deleting the rows of a user ends all of that user's sessions at once.
CREATE TABLE login_sessions (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at REAL NOT NULL,         -- unix seconds
    last_seen REAL NOT NULL           -- unix seconds, refreshed at most once a minute
);
CREATE INDEX login_sessions_user ON login_sessions(user_id);

-- Failed log-ins per key ('user:<name, lower case>' or 'addr:<client address>').
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    last_at REAL NOT NULL,
    locked_until REAL NOT NULL DEFAULT 0
);

-- "Alice" and "alice" were two users: keep the older one's name, rename later ones.
UPDATE users SET username = username || '-' || id
WHERE EXISTS (
    SELECT 1 FROM users older
    WHERE lower(older.username) = lower(users.username) AND older.id < users.id
);
CREATE UNIQUE INDEX users_username_nocase ON users(username COLLATE NOCASE);
