-- Room life, ranked acts that do not count, and moderation events for the room-servers.
-- Keep in step with migrations/mysql (same folder name).

-- When the room ended (unix seconds) and why: 'host' | 'admin' | 'idle' when closed; NULL
-- when its show ended by itself (or it has not ended).
ALTER TABLE rooms ADD COLUMN ended_at BIGINT NULL;
ALTER TABLE rooms ADD COLUMN end_reason VARCHAR(16) NULL;
-- The last status report from the room-server (or the creation): a room with nobody in it
-- since longer than the idle time is closed by the api-server's sweeper.
ALTER TABLE rooms ADD COLUMN last_active_at BIGINT NOT NULL DEFAULT 0;
UPDATE rooms SET last_active_at = created_at;

-- Whether the act counts toward the ranking (2 scores from accounts whose scores count, the
-- performer under the daily limit). Acts recorded before counted.
ALTER TABLE acts ADD COLUMN counted BOOLEAN NOT NULL DEFAULT 1;

-- Bans, unbans and room closings, read by every room-server (GET /internal/v1/moderation).
CREATE TABLE moderation_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- 'banned' | 'unbanned' | 'room_closed'
    kind VARCHAR(16) NOT NULL,
    user_id BIGINT NULL,
    room_id BIGINT NULL,
    -- room_closed: 'host' | 'admin' | 'idle'
    reason VARCHAR(16) NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX moderation_events_created_at ON moderation_events (created_at);
