DROP TABLE ranking_counts;
ALTER TABLE users DROP COLUMN following_count;
ALTER TABLE users DROP COLUMN follower_count;
