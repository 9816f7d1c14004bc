-- A finished room's results board (JSON, the room-server's `ActResult`s in show order), kept so
-- the room's link shows it after the show. Keep in step with migrations/sqlite (same folder name).
ALTER TABLE rooms ADD COLUMN results TEXT NULL;
