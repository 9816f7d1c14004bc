DROP TABLE login_codes;
DROP TABLE follows;
DROP TABLE act_scores;
DROP TABLE acts;
DROP INDEX users_ranking;
ALTER TABLE users DROP COLUMN acts_count;
ALTER TABLE users DROP COLUMN score_centi;
