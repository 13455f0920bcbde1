#!/usr/bin/env bash
# Native local infrastructure for MobilityCorp (no Docker): PostgreSQL+PostGIS, Redis, Kafka (KRaft),
# Mosquitto, stripe-mock, SMTP sink. See deploy/local/README.md.
set -euo pipefail

INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
source "$INFRA_DIR/lib/common.sh"
# shellcheck source=lib/postgres.sh
source "$INFRA_DIR/lib/postgres.sh"
# shellcheck source=lib/redis.sh
source "$INFRA_DIR/lib/redis.sh"
# shellcheck source=lib/kafka.sh
source "$INFRA_DIR/lib/kafka.sh"
# shellcheck source=lib/mosquitto.sh
source "$INFRA_DIR/lib/mosquitto.sh"
# shellcheck source=lib/stripe-mock.sh
source "$INFRA_DIR/lib/stripe-mock.sh"
# shellcheck source=lib/smtp.sh
source "$INFRA_DIR/lib/smtp.sh"
# shellcheck source=lib/install.sh
source "$INFRA_DIR/lib/install.sh"

usage() {
  cat <<USAGE
usage: deploy/local/infra.sh <command> [args]
  install              install missing packages/tools (apt, uv, Kafka jars, stripe-mock)
  up [component...]    start components that are not running and wait until ready (default: all)
                       MC_INFRA=external: only check that each component answers (compose, ...)
  down [component...]  stop components (default: all)
  status               one line per component; exit 0 only if all are up
  reset                down + delete all state (databases, topics, mail)
  env                  print export lines:  eval "\$(deploy/local/infra.sh env)"
  mqtt-reload          regenerate the mosquitto password file (+ vehicles.passwd.in) and SIGHUP
  mail [N]             From/To/Subject of the last N received mails (default 10)
  logs <component>     print the log file path of a component
components: ${COMPONENTS[*]}
USAGE
}

# Canonical component name for a name or alias.
canon_component() {
  case $1 in
    postgres|pg|postgresql) echo postgres ;;
    redis) echo redis ;;
    kafka) echo kafka ;;
    mosquitto|mqtt) echo mosquitto ;;
    stripe-mock|stripe) echo stripe-mock ;;
    smtp|mail) echo smtp ;;
    *) die "unknown component '$1' (known: ${COMPONENTS[*]})" ;;
  esac
}

# Sets SELECTED to the named components (default: all). Runs in this shell so errors abort.
select_components() {
  local a
  SELECTED=()
  (($# > 0)) || { SELECTED=("${COMPONENTS[@]}"); return 0; }
  for a in "$@"; do SELECTED+=("$(canon_component "$a")"); done
}

fn() { echo "${1//-/_}_$2"; }   # fn stripe-mock start -> stripe_mock_start

cmd_up() {
  local t0 c pid; t0=$(now_ms)
  local -a started=()
  select_components "$@"
  mkdir -p "$MC_STATE_DIR"
  for c in "${SELECTED[@]}"; do
    if pid=$("$(fn "$c" running)"); then
      log "$c: already running (pid $pid)"
    else
      log "$c: starting on 127.0.0.1:$("$(fn "$c" port)")"
      "$(fn "$c" start)"
      started+=("$c")
    fi
  done
  for c in "${started[@]}"; do
    "$(fn "$c" wait)"
    log "$c: ready (pid $("$(fn "$c" running)"))"
  done
  log "up: done in $(elapsed_since "$t0")"
}

# MC_INFRA=external: somebody else runs the infrastructure (docker compose, a shared dev box):
# check that every component answers, never start, stop or install anything.
external() { [[ ${MC_INFRA:-native} == external ]]; }

cmd_check_external() {
  local c port rc=0
  select_components "$@"
  for c in "${SELECTED[@]}"; do
    port=$("$(fn "$c" port)")
    if port_open "$port"; then log "$c: external, answering on 127.0.0.1:$port"
    else log "$c: external, NOT answering on 127.0.0.1:$port"; rc=1; fi
  done
  return "$rc"
}

cmd_down() {
  local c
  if external; then log "down: MC_INFRA=external, nothing to stop here"; return 0; fi
  select_components "$@"
  for c in "${SELECTED[@]}"; do
    if "$(fn "$c" running)" >/dev/null; then
      "$(fn "$c" stop)"
      log "$c: stopped"
    else
      log "$c: not running"
    fi
  done
}

cmd_status() {
  local c pid port state rc=0
  printf '%-12s %-6s %-8s %s\n' COMPONENT PORT PID STATE
  for c in "${COMPONENTS[@]}"; do
    port=$("$(fn "$c" port)")
    if pid=$("$(fn "$c" running)") && port_open "$port"; then state=up
    elif [[ -n ${pid:-} ]]; then state="down (pid alive, port closed)"; rc=1
    else pid=-; state=down; rc=1; fi
    printf '%-12s %-6s %-8s %s\n' "$c" "$port" "$pid" "$state"
  done
  return "$rc"
}

cmd_reset() {
  local c
  cmd_down
  for c in "${COMPONENTS[@]}"; do "$(fn "$c" wipe)"; done
  safe_rm_dir "$MC_STATE_DIR"
  log "reset: state wiped ($MC_STATE_DIR)"
}

# Connection settings for the platform and tools. The passwords/keys are dev-only defaults.
cmd_env() {
  local pg
  pg="postgresql://postgres:$(urlencode "$MC_PG_PASSWORD")@127.0.0.1:$MC_PG_PORT"
  local -a vars=(
    "MC_STATE_DIR=$MC_STATE_DIR"
    "MC_PG_HOST=127.0.0.1" "MC_PG_PORT=$MC_PG_PORT" "MC_PG_USER=postgres" "MC_PG_PASSWORD=$MC_PG_PASSWORD"
    "MC_PG_URL=$pg"
    "MC_REDIS_PORT=$MC_REDIS_PORT" "MC_REDIS_URL=redis://127.0.0.1:$MC_REDIS_PORT/0"
    "MC_KAFKA_PORT=$MC_KAFKA_PORT" "MC_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$MC_KAFKA_PORT"
    "MC_MQTT_HOST=127.0.0.1" "MC_MQTT_PORT=$MC_MQTT_PORT"
    "MC_MQTT_GATEWAY_USER=$MC_MQTT_GATEWAY_USER" "MC_MQTT_GATEWAY_PASSWORD=$MC_MQTT_GATEWAY_PASSWORD"
    "MC_STRIPE_MOCK_PORT=$MC_STRIPE_MOCK_PORT" "MC_STRIPE_API_BASE=http://127.0.0.1:$MC_STRIPE_MOCK_PORT"
    "MC_STRIPE_API_KEY=sk_test_123"
    "MC_SMTP_HOST=127.0.0.1" "MC_SMTP_PORT=$MC_SMTP_PORT" "MC_SMTP_MAILDIR=$MC_SMTP_MAILDIR"
  )
  local db v
  for db in $MC_PG_DATABASES; do vars+=("MC_PG_URL_${db^^}=$pg/$db"); done
  for v in "${vars[@]}"; do printf 'export %s=%q\n' "${v%%=*}" "${v#*=}"; done
}

cmd_logs() {
  (($# == 1)) || die "usage: infra.sh logs <component>"
  local c; c=$(canon_component "$1")
  "$(fn "$c" log)"
}

# Serialise state-changing commands (two `up`s at once). flock -o: daemons must not inherit the lock.
lock_and_reexec() {
  [[ -z ${MC_INFRA_LOCKED:-} ]] && command -v flock >/dev/null || return 0
  mkdir -p "$(dirname "$MC_STATE_DIR")"
  MC_INFRA_LOCKED=1 exec flock -o "$MC_STATE_DIR.lock" "$0" "$@"
}

main() {
  local cmd=${1:-help}
  case $cmd in up|down|reset|mqtt-reload) lock_and_reexec "$@" ;; esac
  (($# == 0)) || shift
  if external; then
    case $cmd in
      install) log "install: MC_INFRA=external, skipped"; return 0 ;;
      up|status) cmd_check_external "$@"; return ;;
      reset|mqtt-reload) die "$cmd: MC_INFRA=external, manage the infrastructure where it runs" ;;
    esac
  fi
  case $cmd in
    install) cmd_install ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status ;;
    reset) cmd_reset ;;
    env) cmd_env ;;
    mqtt-reload) mosquitto_reload ;;
    mail) smtp_mail "$@" ;;
    logs) cmd_logs "$@" ;;
    help|-h|--help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
