-- Ranked acts and their scores, cumulative scores for the ranking, follows, and one-time
-- login codes. Keep in step with migrations/mysql (same folder name).

-- Sum of the user's ranked act averages in hundredths (integers stay exact); NULL until the
-- first scored ranked act, so "never scored" and "scored 0" differ and NULL rows stay out of
-- the ranking.
ALTER TABLE users ADD COLUMN score_centi BIGINT NULL;
-- Ranked acts recorded for the user, scored or not.
ALTER TABLE users ADD COLUMN acts_count INTEGER NOT NULL DEFAULT 0;

-- The ranking: page order (score desc, id asc) and rank counts (score > x) are both range
-- scans of this index.
CREATE INDEX users_ranking ON users (banned, score_centi DESC, id);

CREATE TABLE acts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    -- The room-server's round number; with room_id it names one act, which makes recording
    -- idempotent.
    round_no INTEGER NOT NULL,
    performer_id BIGINT NOT NULL REFERENCES users (id),
    -- Mean score in hundredths; NULL when nobody scored.
    average_centi INTEGER NULL,
    score_count INTEGER NOT NULL,
    -- When the round closed (unix milliseconds, from the room-server).
    closed_at BIGINT NOT NULL,
    -- When the api-server recorded it (unix seconds).
    recorded_at BIGINT NOT NULL,
    UNIQUE (room_id, round_no)
);

-- Score history, newest first.
CREATE INDEX acts_performer_closed_at ON acts (performer_id, closed_at, id);

CREATE TABLE act_scores (
    act_id BIGINT NOT NULL REFERENCES acts (id) ON DELETE CASCADE,
    scorer_id BIGINT NOT NULL REFERENCES users (id),
    value INTEGER NOT NULL CHECK (value BETWEEN 0 AND 100),
    PRIMARY KEY (act_id, scorer_id)
);

CREATE INDEX act_scores_scorer_id ON act_scores (scorer_id);

CREATE TABLE follows (
    -- Keyset pagination order (newest first).
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    follower_id BIGINT NOT NULL REFERENCES users (id),
    followee_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    UNIQUE (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);

CREATE INDEX follows_followee ON follows (followee_id, id);
CREATE INDEX follows_follower ON follows (follower_id, id);

-- The end of an OAuth login: /login/complete?code=... is traded once for a token.
CREATE TABLE login_codes (
    -- SHA-256 of the code, hex: a database reader cannot use a pending code.
    code_hash VARCHAR(64) PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- Unix seconds.
    expires_at BIGINT NOT NULL
);

CREATE INDEX login_codes_expires_at ON login_codes (expires_at);
