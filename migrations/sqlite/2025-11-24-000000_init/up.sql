-- Users and rooms. Times are unix seconds (BIGINT) on both backends, so no timezone handling.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- 'dev' | 'kakao'
    provider VARCHAR(16) NOT NULL,
    -- Kakao's user id, or the lower-cased name for dev logins.
    provider_id VARCHAR(64) NOT NULL,
    display_name VARCHAR(30) NOT NULL,
    avatar_url TEXT,
    intro VARCHAR(150) NOT NULL DEFAULT '',
    -- 'user' | 'admin'
    role VARCHAR(16) NOT NULL DEFAULT 'user',
    banned BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (provider, provider_id)
);

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    title VARCHAR(60) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category VARCHAR(16) NOT NULL,
    -- 'rank' | 'normal'
    mode VARCHAR(16) NOT NULL,
    host_id BIGINT NOT NULL REFERENCES users (id),
    member_limit INTEGER NOT NULL,
    -- 'open' | 'live' | 'ended'
    status VARCHAR(16) NOT NULL DEFAULT 'open',
    -- As last reported by the room-server.
    member_count INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- The catalogue: joinable rooms, newest first.
CREATE INDEX rooms_status_created_at ON rooms (status, created_at);
CREATE INDEX rooms_host_id ON rooms (host_id);
