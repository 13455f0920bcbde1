# shellcheck shell=bash
# stripe-mock: Stripe's own API mock (stateless), HTTP only.

MC_STRIPE_MOCK_PORT=${MC_STRIPE_MOCK_PORT:-12111}
# shellcheck disable=SC2034  # used by install.sh
STRIPE_MOCK_VERSION=v0.203.0          # needs Go >= 1.22
# shellcheck disable=SC2034  # used by install.sh
STRIPE_MOCK_FALLBACK_VERSION=v0.188.0 # last tag that builds with Debian bookworm's Go 1.19
STRIPE_MOCK_BIN=${MC_STRIPE_MOCK_BIN:-$MC_CACHE_DIR/stripe-mock/bin/stripe-mock}
SM_DIR=$MC_STATE_DIR/stripe-mock
SM_PID=$SM_DIR/stripe-mock.pid
SM_LOG=$SM_DIR/stripe-mock.log

stripe_mock_port() { echo "$MC_STRIPE_MOCK_PORT"; }
stripe_mock_log() { echo "$SM_LOG"; }
stripe_mock_running() { pid_of "$SM_PID" stripe-mock; }

stripe_mock_start() {
  [[ -x $STRIPE_MOCK_BIN ]] || die "stripe-mock: $STRIPE_MOCK_BIN missing (run: deploy/local/infra.sh install)"
  ensure_port_free stripe-mock "$MC_STRIPE_MOCK_PORT" MC_STRIPE_MOCK_PORT
  rotate_log "$SM_LOG"
  rm -f "$SM_DIR/https.sock"
  local -a args
  mapfile -t args < <(stripe_mock_args)
  start_bg "$SM_LOG" "$SM_PID" "$STRIPE_MOCK_BIN" "${args[@]}"
}

# -http-addr alone still opens HTTPS on *:12112 (stripe-mock only counts -http-port/-http-unix as
# "HTTP requested"), so park HTTPS on a unix socket. Old builds lack -http-addr: -http-port binds
# all interfaces but disables HTTPS.
stripe_mock_args() {
  if "$STRIPE_MOCK_BIN" -h 2>&1 | grep -q -- '-http-addr'; then
    printf '%s\n' -http-addr "127.0.0.1:$MC_STRIPE_MOCK_PORT" -https-unix "$SM_DIR/https.sock"
  else
    log "stripe-mock: this build has no -http-addr; HTTP listens on all interfaces"
    printf '%s\n' -http-port "$MC_STRIPE_MOCK_PORT"
  fi
}

# Minimal HTTP GET over bash /dev/tcp (no curl needed); succeeds on any HTTP status line.
http_get_ok() {
  local port=$1 path=$2
  # shellcheck disable=SC2016  # expands in the inner shell
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk_test_123\r\n\r\n" "$1" >&3
    IFS= read -r line <&3 && [[ $line == HTTP/1.?\ [1-5]* ]]' "$port" "$path" 2>/dev/null
}

stripe_mock_wait() {
  local deadline=$((SECONDS + 20))
  until http_get_ok "$MC_STRIPE_MOCK_PORT" /v1/customers; do
    stripe_mock_running >/dev/null || die_with_log stripe-mock "$SM_LOG" "process exited during startup"
    ((SECONDS < deadline)) || die_with_log stripe-mock "$SM_LOG" "no HTTP answer after 20s"
    sleep 0.2
  done
}

stripe_mock_stop() {
  local pid
  pid=$(stripe_mock_running) || return 0
  stop_pid "$pid" 10
}

stripe_mock_wipe() { :; }
