-- Counters kept in the same transaction as the rows they count, so that a profile, a rank and
-- the ranking's total never count rows while a request waits. Keep in step with
-- migrations/mysql (same folder name).

-- Rows of `follows` with followee_id = id (followers) and follower_id = id (following).
ALTER TABLE users ADD COLUMN follower_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN following_count BIGINT NOT NULL DEFAULT 0;

UPDATE users SET
    follower_count = (SELECT COUNT(*) FROM follows WHERE followee_id = users.id),
    following_count = (SELECT COUNT(*) FROM follows WHERE follower_id = users.id);

-- How many ranked users (banned = false, score_centi not null) have a score in each bucket,
-- at five granularities: at level `lvl` the bucket is score_centi / 100^lvl (level 0 is the
-- exact score, level 4 the top). The users strictly ahead of a score are the buckets above it
-- among its siblings at each level (at most 99 per level, all of them at the top), so a rank
-- reads a few hundred small rows however many users are ranked; the ranking's total is the
-- top level's sum, and an offset is found by walking down from the top.
-- Scores are never negative (act averages are 0-100), so integer division here and the
-- server's floor division agree.
CREATE TABLE ranking_counts (
    lvl INTEGER NOT NULL,
    bucket BIGINT NOT NULL,
    -- Ranked users in the bucket; rows that drop to 0 stay.
    n BIGINT NOT NULL,
    PRIMARY KEY (lvl, bucket)
);

INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 0, score_centi, COUNT(*) FROM users
    WHERE banned = 0 AND score_centi IS NOT NULL GROUP BY score_centi;
INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 1, score_centi / 100, COUNT(*) FROM users
    WHERE banned = 0 AND score_centi IS NOT NULL GROUP BY score_centi / 100;
INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 2, score_centi / 10000, COUNT(*) FROM users
    WHERE banned = 0 AND score_centi IS NOT NULL GROUP BY score_centi / 10000;
INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 3, score_centi / 1000000, COUNT(*) FROM users
    WHERE banned = 0 AND score_centi IS NOT NULL GROUP BY score_centi / 1000000;
INSERT INTO ranking_counts (lvl, bucket, n)
    SELECT 4, score_centi / 100000000, COUNT(*) FROM users
    WHERE banned = 0 AND score_centi IS NOT NULL GROUP BY score_centi / 100000000;
