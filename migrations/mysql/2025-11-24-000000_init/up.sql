-- Users and rooms; keep in step with migrations/sqlite. Times are unix seconds (BIGINT).

CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- 'dev' | 'kakao'
    provider VARCHAR(16) NOT NULL,
    -- Binary collation: ids compare exactly, so two dev names differing only in accents
    -- ('rene', 'rené') are two people, not a unique-key clash.
    provider_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    display_name VARCHAR(30) NOT NULL,
    avatar_url VARCHAR(1024) NULL,
    intro VARCHAR(150) NOT NULL DEFAULT '',
    -- 'user' | 'admin'
    role VARCHAR(16) NOT NULL DEFAULT 'user',
    banned BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    UNIQUE KEY users_provider_identity (provider, provider_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE rooms (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    title VARCHAR(60) NOT NULL,
    description VARCHAR(500) NOT NULL DEFAULT '',
    category VARCHAR(16) NOT NULL,
    -- 'rank' | 'normal'
    mode VARCHAR(16) NOT NULL,
    host_id BIGINT NOT NULL,
    member_limit INT NOT NULL,
    -- 'open' | 'live' | 'ended'
    status VARCHAR(16) NOT NULL DEFAULT 'open',
    -- As last reported by the room-server.
    member_count INT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    -- The catalogue: joinable rooms, newest first.
    KEY rooms_status_created_at (status, created_at),
    CONSTRAINT rooms_host_fk FOREIGN KEY (host_id) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
