# syntax=docker/dockerfile:1
#
# onair-api-server: the REST service, with the built Yew web UI inside the image.
#
# Build from the repository root (the build context must be the whole workspace):
#   docker build -f deploy/docker/api-server.Dockerfile -t onair-api-server .
# BuildKit (the default builder) reads api-server.Dockerfile.dockerignore beside this file, so
# target/, data/ and .git never enter the build context. See deploy/README.md.

ARG RUST_VERSION=1
ARG DEBIAN_SUITE=bookworm

# ---------------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-${DEBIAN_SUITE} AS builder

# libmariadb-dev + pkg-config: diesel's MySQL backend links libmariadb (mysqlclient-sys).
# Debian package versions are left unpinned on purpose: the suite is pinned and point releases
# only bring security fixes (hadolint DL3008).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*

# The image's toolchain is the current stable, which is what rust-toolchain.toml asks for. That
# file is deliberately not copied in: it would make rustup download a second "stable" toolchain
# with rustfmt and clippy, which a release build does not need. The UI needs the wasm32 target.
RUN rustup target add wasm32-unknown-unknown

WORKDIR /src
# Every workspace member has to be present for cargo to load the workspace.
COPY Cargo.toml Cargo.lock diesel.toml ./
COPY .cargo/ .cargo/
COPY shared/ shared/
COPY room-server/ room-server/
COPY api-server/ api-server/
COPY web-ui/ web-ui/
COPY xtask/ xtask/
COPY migrations/ migrations/

# Cache mounts keep the registry and target/ between builds on the same builder; the results
# are copied out of the mounted target/ into /out within the same step.
# `cargo xtask dist` builds onair-web-ui for wasm32 in release and runs wasm-bindgen into
# web-ui/dist/ (the migrations are embedded in the binary at compile time).
RUN --mount=type=cache,id=onair-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=onair-cargo-git,target=/usr/local/cargo/git \
    --mount=type=cache,id=onair-target,target=/src/target \
    cargo build --release --locked -p onair-api-server --bin onair-api-server \
 && cargo xtask dist \
 && install -D -m 0755 target/release/onair-api-server /out/onair-api-server \
 && cp -r web-ui/dist /out/web

# ---------------------------------------------------------------------------------------------
FROM debian:${DEBIAN_SUITE}-slim AS runtime

# libmariadb3: the MySQL/MariaDB client library the binary links; ca-certificates: https calls
# (Kakao login) verify against the system roots.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmariadb3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can verify it without a name lookup.
RUN groupadd --system --gid 10001 onair \
 && useradd --system --uid 10001 --gid onair --home-dir /var/lib/onair --shell /usr/sbin/nologin onair \
 && install -d -o onair -g onair -m 0750 /var/lib/onair

COPY --from=builder /out/onair-api-server /usr/local/bin/onair-api-server
COPY --from=builder /out/web /usr/share/onair/web
COPY --chmod=0755 deploy/docker/healthcheck.sh /usr/local/bin/onair-healthcheck

# Container defaults; everything else (and every secret) comes from the environment at run time.
# Outside ONAIR_DEV_MODE the server refuses to start without ONAIR_JWT_SECRET,
# ONAIR_SERVICE_TOKEN and ONAIR_ROOM_SERVER_URLS. Without ONAIR_DATABASE_URL it uses SQLite under
# /var/lib/onair/data/ (mount a volume there), so set a mysql:// URL for a real deployment.
ENV ONAIR_API_BIND=0.0.0.0:8080 \
    ONAIR_WEB_DIST=/usr/share/onair/web \
    RUST_LOG=info

WORKDIR /var/lib/onair
USER 10001:10001
EXPOSE 8080

# /readyz answers 200 only while the database does (no curl in the image: a bash probe).
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 \
    CMD ["onair-healthcheck", "/readyz", "ONAIR_API_BIND"]

ENTRYPOINT ["/usr/local/bin/onair-api-server"]
