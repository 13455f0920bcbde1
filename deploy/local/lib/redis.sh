# shellcheck shell=bash
# Redis (Debian redis-server): cache only, no persistence.

MC_REDIS_PORT=${MC_REDIS_PORT:-56379}
MC_REDIS_MAXMEMORY=${MC_REDIS_MAXMEMORY:-256mb}
REDIS_DIR=$MC_STATE_DIR/redis
REDIS_PID=$REDIS_DIR/redis.pid
REDIS_LOG=$REDIS_DIR/redis.log

redis_port() { echo "$MC_REDIS_PORT"; }
redis_log() { echo "$REDIS_LOG"; }
redis_running() { pid_of "$REDIS_PID" redis-server; }
redis_cli() { redis-cli -h 127.0.0.1 -p "$MC_REDIS_PORT" "$@"; }

redis_start() {
  command -v redis-server >/dev/null || die "redis: redis-server not found (run: deploy/local/infra.sh install)"
  ensure_port_free redis "$MC_REDIS_PORT" MC_REDIS_PORT
  mkdir -p "$REDIS_DIR"
  redis-server --bind 127.0.0.1 --port "$MC_REDIS_PORT" --save '' --appendonly no \
    --maxmemory "$MC_REDIS_MAXMEMORY" --maxmemory-policy allkeys-lru \
    --daemonize yes --pidfile "$REDIS_PID" --logfile "$REDIS_LOG" --dir "$REDIS_DIR" \
    || die_with_log redis "$REDIS_LOG" "redis-server failed to start"
}

redis_ping() { [[ $(redis_cli ping 2>/dev/null) == PONG ]]; }

redis_wait() {
  wait_until 15 redis_ping || die_with_log redis "$REDIS_LOG" "no PONG after 15s"
}

redis_stop() {
  local pid
  pid=$(redis_running) || return 0
  redis_cli shutdown nosave >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
  wait_until 10 pid_gone "$pid" || stop_pid "$pid" 5
}

redis_wipe() { :; }
