# syntax=docker/dockerfile:1
#
# onair-room-server: the realtime WebSocket room server (no database; Redis for scale-out).
#
# Build from the repository root (the build context must be the whole workspace):
#   docker build -f deploy/docker/room-server.Dockerfile -t onair-room-server .
# BuildKit (the default builder) reads room-server.Dockerfile.dockerignore beside this file.

ARG RUST_VERSION=1
ARG DEBIAN_SUITE=bookworm

# ---------------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN_SUITE} AS builder

# rust-toolchain.toml is not copied in: the image's toolchain is the current stable, and the
# file would make rustup fetch another copy of it with rustfmt, clippy and the wasm32 target.
WORKDIR /src
# Every workspace member has to be present for cargo to load the workspace; only the
# room-server and what it depends on are compiled.
COPY Cargo.toml Cargo.lock diesel.toml ./
COPY .cargo/ .cargo/
COPY shared/ shared/
COPY room-server/ room-server/
COPY api-server/ api-server/
COPY web-ui/ web-ui/
COPY xtask/ xtask/
COPY migrations/ migrations/

RUN --mount=type=cache,id=onair-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=onair-cargo-git,target=/usr/local/cargo/git \
    --mount=type=cache,id=onair-target,target=/src/target \
    cargo build --release --locked -p onair-room-server --bin onair-room-server \
 && install -D -m 0755 target/release/onair-room-server /out/onair-room-server

# ---------------------------------------------------------------------------------------------
FROM debian:${DEBIAN_SUITE}-slim AS runtime

# ca-certificates: https calls to the api-server's internal URL verify against the system roots.
# Debian package versions are left unpinned on purpose: the suite is pinned and point releases
# only bring security fixes (hadolint DL3008).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 onair \
 && useradd --system --uid 10001 --gid onair --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin onair

COPY --from=builder /out/onair-room-server /usr/local/bin/onair-room-server
COPY --chmod=0755 deploy/docker/healthcheck.sh /usr/local/bin/onair-healthcheck

# Container defaults. ONAIR_JWT_SECRET (the api-server's) is required; for reporting ranked
# results set ONAIR_API_INTERNAL_URL + ONAIR_SERVICE_TOKEN; for several instances
# ONAIR_REDIS_URL and ONAIR_INSTANCE_ID. Leave a variable unset rather than empty.
ENV ONAIR_ROOM_BIND=0.0.0.0:8081 \
    RUST_LOG=info

USER 10001:10001
EXPOSE 8081

# /readyz: 200 when this instance can serve rooms (503 while its Redis is unreachable).
HEALTHCHECK --interval=15s --timeout=6s --start-period=15s --retries=3 \
    CMD ["onair-healthcheck", "/readyz", "ONAIR_ROOM_BIND"]

ENTRYPOINT ["/usr/local/bin/onair-room-server"]
