# shellcheck shell=bash
# Settings and helpers shared by every component. Sourced by infra.sh.

MC_REPO_ROOT=${MC_REPO_ROOT:-$(cd "$INFRA_DIR/../.." && pwd)}
MC_STATE_DIR=${MC_STATE_DIR:-$MC_REPO_ROOT/.cache/infra}
MC_CACHE_DIR=${MC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mobilitycorp}

# shellcheck disable=SC2034  # used by infra.sh
COMPONENTS=(postgres redis kafka mosquitto stripe-mock smtp)

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }
is_root() { [[ $(id -u) -eq 0 ]]; }

# Run a command as another OS user when we are root (postgres refuses root).
run_as() {
  local user=$1; shift
  if is_root; then runuser -u "$user" -- "$@"; else "$@"; fi
}

# Run with sudo unless already root.
as_root() {
  if is_root; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "need root for: $* (no sudo found)"; fi
}

# Print the pid from a pid file if that process is alive and its command line matches.
pid_of() {
  local file=$1 pattern=$2 pid
  [[ -s $file ]] || return 1
  pid=$(<"$file"); pid=${pid//[^0-9]/}
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern" || return 1
  printf '%s\n' "$pid"
}

# shellcheck disable=SC2016  # $0 expands in the inner shell
port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null; }

# Fail early when a port we need is taken by a process we did not start.
ensure_port_free() {
  local name=$1 port=$2 var=$3
  ! port_open "$port" || die "$name: port $port is already in use by another process (set $var to move it)"
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds or time runs out.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# die_with_log NAME LOGFILE MESSAGE: fail loudly, showing the component's log tail.
die_with_log() {
  local name=$1 logfile=$2 msg=$3
  printf '[infra] ERROR: %s: %s\n[infra] ---- last 40 lines of %s ----\n' "$name" "$msg" "$logfile" >&2
  tail -n 40 "$logfile" >&2 2>/dev/null || true
  printf '[infra] ---- end of log ----\n' >&2
  exit 1
}

# start_bg LOGFILE PIDFILE CMD...: detach CMD in its own session; the child writes its own pid.
start_bg() {
  local logfile=$1 pidfile=$2; shift 2
  mkdir -p "$(dirname "$logfile")" "$(dirname "$pidfile")"
  rm -f "$pidfile"
  # shellcheck disable=SC2016  # $$/$0/$@ expand in the inner shell
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >>"$logfile" 2>&1 </dev/null &
  wait_until 5 test -s "$pidfile" || die "could not start: $*"
}

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid=$1 grace=${2:-20}
  kill "$pid" 2>/dev/null || return 0
  wait_until "$grace" pid_gone "$pid" && return 0
  log "pid $pid still alive after ${grace}s, sending SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
  wait_until 5 pid_gone "$pid" || true
}
now_ms() { date +%s%3N; }
elapsed_since() { local ms=$(($(now_ms) - $1)); printf '%d.%01ds' $((ms / 1000)) $((ms % 1000 / 100)); }
# A zombie counts as gone (our daemons are reparented to PID 1, which may reap them late).
pid_gone() { ! kill -0 "$1" 2>/dev/null || [[ $(ps -o stat= -p "$1" 2>/dev/null) == Z* ]]; }

# Move the previous log aside so readiness checks only see this run's lines.
rotate_log() { [[ ! -f $1 ]] || mv -f "$1" "$1.1"; }

# render TEMPLATE OUT KEY=VALUE...: replace @KEY@ placeholders (pure bash, any characters allowed).
render() {
  local tmpl=$1 out=$2 text kv; shift 2
  text=$(<"$tmpl")
  for kv in "$@"; do text=${text//"@${kv%%=*}@"/"${kv#*=}"}; done
  [[ ! $text =~ @[A-Z_]+@ ]] || die "unrendered placeholder ${BASH_REMATCH[0]} left in $tmpl"
  printf '%s\n' "$text" >"$out"
}

# Percent-encode a string for use inside a URL (e.g. a password).
urlencode() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in [a-zA-Z0-9._~-]) out+=$c ;; *) out+=$(printf '%%%02X' "'$c") ;; esac
  done
  printf '%s\n' "$out"
}

# rm -rf with guard rails against empty or dangerous paths.
safe_rm_dir() {
  local dir=$1
  [[ -n $dir && $dir != / && $dir != "$HOME" && $dir != "$MC_REPO_ROOT" ]] || die "refusing to delete '$dir'"
  rm -rf -- "$dir"
}
