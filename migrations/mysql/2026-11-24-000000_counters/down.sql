DROP TABLE ranking_counts;
ALTER TABLE users
    DROP COLUMN following_count,
    DROP COLUMN follower_count;
