# QuotaGuard container: Debian 12 (bookworm) build stage, slim Debian 12 runtime, non-root.
#   docker build -t quotaguard .
#   docker run -p 8318:8318 --ulimit nofile=65536:65536 -e QUOTAGUARD_ADMIN_TOKEN=... -e QUOTAGUARD_API_KEYS=... -v qg-data:/data quotaguard
# (--ulimit: a stream holds two descriptors; the daemon raises its soft limit to this hard one
# and logs the streams it allows, RUNBOOK.md "Many concurrent streams".)
# The daemon listens on 0.0.0.0:8318, which QuotaGuard only accepts with an admin token
# (QUOTAGUARD_ADMIN_TOKEN) and client keys (QUOTAGUARD_API_KEYS, comma-separated, or
# server.api_keys; server.allow_unauthenticated: true opts out); without them it exits 2. The event log lives in the
# /data volume (QUOTAGUARD_DB_PATH=/data/quotaguard.db). Config: mount a file and set
# QUOTAGUARD_CONFIG_PATH, or put config.yaml in /data (the working directory); otherwise the
# built-in defaults apply. docker-compose.yml shows both services wired together.
#
# No Docker engine runs in CI: tests/deps_sync keeps the build-stage package list equal to
# scripts/install-deps.sh and the runtime list covering every library the binary links, and
# CI builds with the same two steps (scripts/install-deps.sh, then the CMake build).

FROM debian:bookworm-slim AS build
# Package list: identical to PACKAGES in scripts/install-deps.sh — tests/deps_sync fails when
# they differ. No Node.js: it only runs the SDK/agent tests, which this build does not build.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      cmake g++ ninja-build pkg-config ccache make \
      libcaf-dev libcpp-httplib-dev libsimdjson-dev libyaml-cpp-dev libsqlite3-dev \
      libspdlog-dev doctest-dev libssl-dev \
      libpq-dev \
      libcli11-dev nlohmann-json3-dev \
      sqlite3 curl ca-certificates python3 jq python3-yaml \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The same steps as CI (.ci/run): install-deps (a no-op here: all present; --no-browser and
# --no-test-clients: Chromium and Node.js are for tests, which this image does not build), then the build.
RUN scripts/install-deps.sh --no-browser --no-test-clients \
    && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
    && cmake --build build -j "$(nproc)" --target quotaguard \
    && strip build/cli/quotaguard

FROM debian:bookworm-slim
# Runtime libraries only (tests/deps_sync checks they cover the binary's shared libraries);
# sqlite3 for online backups (RUNBOOK.md), curl for the HEALTHCHECK.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libcaf-core0.17 libcpp-httplib0.11 libsimdjson14 libyaml-cpp0.7 libsqlite3-0 \
      libspdlog1.10 libfmt9 libssl3 libpq5 \
      sqlite3 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 quotaguard \
    && useradd --system --uid 10001 --gid quotaguard --home-dir /data --shell /usr/sbin/nologin quotaguard \
    && mkdir -p /data /etc/quotaguard && chown quotaguard:quotaguard /data && chmod 0700 /data
COPY --from=build /src/build/cli/quotaguard /usr/local/bin/quotaguard
COPY config/example.yaml /etc/quotaguard/example.yaml
# GLIBC_TUNABLES: malloc's per-thread cache for small blocks only, as the systemd unit
# (config/quotaguard.service, tests/deps_sync keeps the two equal): most of the cache's CPU
# saving for little of its memory per stream.
ENV QUOTAGUARD_DB_PATH=/data/quotaguard.db \
    SHUTDOWN_TIMEOUT=30s \
    GLIBC_TUNABLES=glibc.malloc.tcache_max=256
USER quotaguard:quotaguard
WORKDIR /data
VOLUME /data
EXPOSE 8318
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8318/health || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/quotaguard"]
CMD ["serve", "--listen", "0.0.0.0:8318"]
