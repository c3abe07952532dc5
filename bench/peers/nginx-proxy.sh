#!/usr/bin/env bash
# nginx-proxy.sh start|stop|status [PORT] [SSE_PORT] [JSON_UPSTREAM] [SSE_UPSTREAM]
#
# nginx as a plain reverse proxy (no accounting, no routing): the upper reference for what a
# proxy can add on this machine. PORT (default 18090) forwards to the JSON mock
# (127.0.0.1:18080), SSE_PORT (default 18091) to the SSE mock (127.0.0.1:18081) with
# buffering off, so streamed chunks pass as they come. Upstream connections are kept alive
# (an `upstream` block with `keepalive`), as a tuned production nginx would do.
# State lives in $PEERS_DIR/nginx-proxy (default /tmp/peers). Listens on 127.0.0.1 only.
# NGINX_PROXY_WORKERS sets worker_processes (default 1: one core, like the gateways).
set -euo pipefail
PEERS_DIR=${PEERS_DIR:-/tmp/peers}
CMD=${1:-}; PORT=${2:-18090}; SSE_PORT=${3:-18091}
JSON_UP=${4:-127.0.0.1:18080}; SSE_UP=${5:-127.0.0.1:18081}
ST="$PEERS_DIR/nginx-proxy"; mkdir -p "$ST/logs" "$ST/tmp"

write_conf() {
  cat > "$ST/nginx.conf" <<NGX
worker_processes ${NGINX_PROXY_WORKERS:-1};
pid $ST/nginx.pid;
error_log $ST/logs/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $ST/tmp/body; proxy_temp_path $ST/tmp/proxy;
  fastcgi_temp_path $ST/tmp/fcgi; uwsgi_temp_path $ST/tmp/uwsgi; scgi_temp_path $ST/tmp/scgi;
  keepalive_requests 1000000; keepalive_timeout 75s;
  client_body_buffer_size 64k;
  upstream json_mock { server $JSON_UP; keepalive 64; }
  upstream sse_mock  { server $SSE_UP;  keepalive 64; }
  server {
    listen 127.0.0.1:$PORT reuseport backlog=4096;
    location = /health { return 200 'ok'; }
    location / {
      proxy_pass http://json_mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
  server {
    listen 127.0.0.1:$SSE_PORT reuseport backlog=4096;
    location = /health { return 200 'ok'; }
    location / {
      proxy_pass http://sse_mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGX
}

alive() { [ -f "$ST/nginx.pid" ] && kill -0 "$(cat "$ST/nginx.pid")" 2>/dev/null; }

case "$CMD" in
start)
  write_conf
  if alive; then echo "nginx proxy already running"; else
    /usr/sbin/nginx -p "$ST" -c "$ST/nginx.conf" -g 'daemon on;'; fi
  for _ in $(seq 50); do
    curl -fsS -m1 "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "nginx proxy: json=http://127.0.0.1:$PORT/v1 sse=http://127.0.0.1:$SSE_PORT/v1" ;;
stop)
  if alive; then kill -QUIT "$(cat "$ST/nginx.pid")"; fi; echo "nginx proxy stopped" ;;
status) alive && echo "nginx proxy: pid $(cat "$ST/nginx.pid")" || echo "nginx proxy: down" ;;
*) echo "usage: $0 start|stop|status [PORT] [SSE_PORT] [JSON_UPSTREAM] [SSE_UPSTREAM]" >&2; exit 2 ;;
esac
