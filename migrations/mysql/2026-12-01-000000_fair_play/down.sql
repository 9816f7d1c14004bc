DROP TABLE moderation_events;
ALTER TABLE acts DROP COLUMN counted;
ALTER TABLE rooms DROP COLUMN last_active_at, DROP COLUMN end_reason, DROP COLUMN ended_at;
