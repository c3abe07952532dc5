# QuotaGuard container: Debian 12 build stage, slim Debian 12 runtime.
#   docker build -t quotaguard .
#   docker run -p 8318:8318 -e QUOTAGUARD_ADMIN_TOKEN=... -v qg-data:/data quotaguard
# Inside the container the daemon listens on 0.0.0.0:8318, which QuotaGuard only accepts with
# an admin token (QUOTAGUARD_ADMIN_TOKEN). Config: mount a file and set QUOTAGUARD_CONFIG_PATH.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh
COPY . .
RUN rm -rf build build-* && make build BUILD_DIR=build

FROM debian:12-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      libcaf-core0.17 libcpp-httplib0.11 libsimdjson14 libyaml-cpp0.7 libsqlite3-0 \
      libspdlog1.10 libfmt9 libssl3 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/cli/quotaguard /usr/local/bin/quotaguard
COPY config/example.yaml /etc/quotaguard/example.yaml
ENV QUOTAGUARD_DB_PATH=/data/quotaguard.db
VOLUME /data
EXPOSE 8318
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8318/health || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/quotaguard"]
CMD ["serve", "--listen", "0.0.0.0:8318"]
