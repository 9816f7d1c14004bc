DROP TABLE login_codes;
DROP TABLE follows;
DROP TABLE act_scores;
DROP TABLE acts;
ALTER TABLE users
    DROP KEY users_ranking,
    DROP COLUMN acts_count,
    DROP COLUMN score_centi;
