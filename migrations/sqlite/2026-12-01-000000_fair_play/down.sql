DROP TABLE moderation_events;
ALTER TABLE acts DROP COLUMN counted;
ALTER TABLE rooms DROP COLUMN last_active_at;
ALTER TABLE rooms DROP COLUMN end_reason;
ALTER TABLE rooms DROP COLUMN ended_at;
