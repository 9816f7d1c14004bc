-- Counters kept in the same transaction as the rows they count, so that a profile, a rank and
-- the ranking's total never count rows while a request waits. Keep in step with
-- migrations/sqlite (same folder name).

-- Rows of `follows` with followee_id = id (followers) and follower_id = id (following).
ALTER TABLE users
    ADD COLUMN follower_count BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN following_count BIGINT NOT NULL DEFAULT 0;

UPDATE users u
    JOIN (SELECT followee_id, COUNT(*) AS n FROM follows GROUP BY followee_id) f
    ON f.followee_id = u.id
SET u.follower_count = f.n;

UPDATE users u
    JOIN (SELECT follower_id, COUNT(*) AS n FROM follows GROUP BY follower_id) f
    ON f.follower_id = u.id
SET u.following_count = f.n;

-- How many ranked users (banned = false, score_centi not null) have a score in each bucket,
-- at five granularities: at level `lvl` the bucket is score_centi DIV 100^lvl (level 0 is the
-- exact score, level 4 the top). The users strictly ahead of a score are the buckets above it
-- among its siblings at each level (at most 99 per level, all of them at the top), so a rank
-- reads a few hundred small rows however many users are ranked; the ranking's total is the
-- top level's sum, and an offset is found by walking down from the top.
-- Scores are never negative (act averages are 0-100), so DIV here and the server's
-- floor division agree.
CREATE TABLE ranking_counts (
    lvl INT NOT NULL,
    bucket BIGINT NOT NULL,
    -- Ranked users in the bucket; rows that drop to 0 stay.
    n BIGINT NOT NULL,
    PRIMARY KEY (lvl, bucket)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 0, score_centi, COUNT(*) FROM users
    WHERE banned = FALSE AND score_centi IS NOT NULL GROUP BY score_centi;
INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 1, score_centi DIV 100, COUNT(*) FROM users
    WHERE banned = FALSE AND score_centi IS NOT NULL GROUP BY score_centi DIV 100;
INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 2, score_centi DIV 10000, COUNT(*) FROM users
    WHERE banned = FALSE AND score_centi IS NOT NULL GROUP BY score_centi DIV 10000;
INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 3, score_centi DIV 1000000, COUNT(*) FROM users
    WHERE banned = FALSE AND score_centi IS NOT NULL GROUP BY score_centi DIV 1000000;
INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 4, score_centi DIV 100000000, COUNT(*) FROM users
    WHERE banned = FALSE AND score_centi IS NOT NULL GROUP BY score_centi DIV 100000000;
