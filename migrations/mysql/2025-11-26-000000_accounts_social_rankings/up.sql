-- Ranked acts and their scores, cumulative scores for the ranking, follows, and one-time
-- login codes. Keep in step with migrations/sqlite (same folder name).

-- Sum of the user's ranked act averages in hundredths (integers stay exact); NULL until the
-- first scored ranked act, so "never scored" and "scored 0" differ and NULL rows stay out of
-- the ranking. acts_count: ranked acts recorded, scored or not.
ALTER TABLE users
    ADD COLUMN score_centi BIGINT NULL,
    ADD COLUMN acts_count INT NOT NULL DEFAULT 0,
    -- The ranking: page order (score desc, id asc) and rank counts (score > x) are both range
    -- scans of this index (descending index parts: MariaDB >= 10.8, MySQL >= 8.0).
    ADD KEY users_ranking (banned, score_centi DESC, id);

CREATE TABLE acts (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    room_id BIGINT NOT NULL,
    -- The room-server's round number; with room_id it names one act, which makes recording
    -- idempotent.
    round_no INT NOT NULL,
    performer_id BIGINT NOT NULL,
    -- Mean score in hundredths; NULL when nobody scored.
    average_centi INT NULL,
    score_count INT NOT NULL,
    -- When the round closed (unix milliseconds, from the room-server).
    closed_at BIGINT NOT NULL,
    -- When the api-server recorded it (unix seconds).
    recorded_at BIGINT NOT NULL,
    UNIQUE KEY acts_room_round (room_id, round_no),
    -- Score history, newest first.
    KEY acts_performer_closed_at (performer_id, closed_at, id),
    CONSTRAINT acts_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id),
    CONSTRAINT acts_performer_fk FOREIGN KEY (performer_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE act_scores (
    act_id BIGINT NOT NULL,
    scorer_id BIGINT NOT NULL,
    value INT NOT NULL,
    PRIMARY KEY (act_id, scorer_id),
    KEY act_scores_scorer_id (scorer_id),
    CONSTRAINT act_scores_value CHECK (value BETWEEN 0 AND 100),
    CONSTRAINT act_scores_act_fk FOREIGN KEY (act_id) REFERENCES acts (id) ON DELETE CASCADE,
    CONSTRAINT act_scores_scorer_fk FOREIGN KEY (scorer_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE follows (
    -- Keyset pagination order (newest first).
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    follower_id BIGINT NOT NULL,
    followee_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE KEY follows_pair (follower_id, followee_id),
    KEY follows_followee (followee_id, id),
    KEY follows_follower (follower_id, id),
    CONSTRAINT follows_not_self CHECK (follower_id <> followee_id),
    CONSTRAINT follows_follower_fk FOREIGN KEY (follower_id) REFERENCES users (id),
    CONSTRAINT follows_followee_fk FOREIGN KEY (followee_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The end of an OAuth login: /login/complete?code=... is traded once for a token.
CREATE TABLE login_codes (
    -- SHA-256 of the code, hex: a database reader cannot use a pending code.
    code_hash VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    -- Unix seconds.
    expires_at BIGINT NOT NULL,
    KEY login_codes_expires_at (expires_at),
    CONSTRAINT login_codes_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
