-- Version 4: the job queue holds two kinds of job.
--   analysis: one session's recording (session_id set), as before;
--   voicing:  a supervisor's checked practice scenario (user_id and payload set), voiced with Piper
--             and stored whole or not at all.
-- SQLite cannot drop NOT NULL from session_id, so the table is rebuilt; every old row becomes an
-- analysis job with its id, status and times kept.
CREATE TABLE jobs_v4 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL DEFAULT 'analysis' CHECK (kind IN ('analysis', 'voicing')),
    session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,  -- who queued a voicing job
    payload TEXT,                                             -- voicing: the checked scenario (JSON)
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'done', 'failed')),
    stage TEXT NOT NULL DEFAULT '',
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    started_at TEXT,
    finished_at TEXT,
    claimed_at REAL,  -- unix seconds (ms) of the last claim: the fair queue serves the owner served longest ago
    CHECK (kind <> 'analysis' OR session_id IS NOT NULL),
    CHECK (kind <> 'voicing' OR (user_id IS NOT NULL AND payload IS NOT NULL))
);
INSERT INTO jobs_v4 (id, kind, session_id, status, stage, progress, error, attempts, created_at, started_at,
                     finished_at)
    SELECT id, 'analysis', session_id, status, stage, progress, error, attempts, created_at, started_at,
           finished_at
    FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v4 RENAME TO jobs;
CREATE INDEX jobs_status ON jobs(status);
CREATE INDEX jobs_session ON jobs(session_id);

-- Whose queue a job is in (the trainee of an analysed session, the supervisor of a voicing) and how
-- much audio it holds (s): what the fair queue and the per-user limit on queued minutes read.
CREATE VIEW job_queue AS
    SELECT j.*,
           CASE WHEN j.kind = 'analysis' THEN s.trainee_id ELSE j.user_id END AS owner_id,
           CASE WHEN j.kind = 'analysis' THEN COALESCE(s.duration, 0) ELSE 0 END AS audio_seconds
    FROM jobs j LEFT JOIN sessions s ON s.id = j.session_id;
