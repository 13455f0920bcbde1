# shellcheck shell=bash
# SMTP sink: aiosmtpd storing every received mail as a Maildir file for inspection.

MC_SMTP_PORT=${MC_SMTP_PORT:-51025}
MC_PYTHON=${MC_PYTHON:-$MC_REPO_ROOT/.venv/bin/python}
SMTP_DIR=$MC_STATE_DIR/smtp
MC_SMTP_MAILDIR=${MC_SMTP_MAILDIR:-$SMTP_DIR/maildir}
SMTP_PID=$SMTP_DIR/smtp.pid
SMTP_LOG=$SMTP_DIR/smtp.log

smtp_port() { echo "$MC_SMTP_PORT"; }
smtp_log() { echo "$SMTP_LOG"; }
smtp_running() { pid_of "$SMTP_PID" aiosmtpd; }

smtp_check_python() {
  [[ -x $MC_PYTHON ]] || die "smtp: $MC_PYTHON not found. The workspace venv does not exist yet:
  run 'uv sync' at the repo root first (aiosmtpd is a dev dependency), or set MC_PYTHON to a python that has aiosmtpd."
  "$MC_PYTHON" -c 'import aiosmtpd' 2>/dev/null \
    || die "smtp: $MC_PYTHON cannot import aiosmtpd (run 'uv sync', or set MC_PYTHON)"
}

smtp_start() {
  smtp_check_python
  ensure_port_free smtp "$MC_SMTP_PORT" MC_SMTP_PORT
  mkdir -p "$MC_SMTP_MAILDIR"/{tmp,new,cur}   # Maildir() only creates these for a missing dir
  rotate_log "$SMTP_LOG"
  PYTHONUNBUFFERED=1 start_bg "$SMTP_LOG" "$SMTP_PID" "$MC_PYTHON" -m aiosmtpd -n \
    -l "127.0.0.1:$MC_SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MC_SMTP_MAILDIR"
}

smtp_wait() {
  local deadline=$((SECONDS + 20))
  until port_open "$MC_SMTP_PORT"; do
    smtp_running >/dev/null || die_with_log smtp "$SMTP_LOG" "process exited during startup"
    ((SECONDS < deadline)) || die_with_log smtp "$SMTP_LOG" "port $MC_SMTP_PORT not open after 20s"
    sleep 0.2
  done
}

smtp_stop() {
  local pid
  pid=$(smtp_running) || return 0
  stop_pid "$pid" 10
}

smtp_wipe() { safe_rm_dir "$MC_SMTP_MAILDIR"; }

# Print From/To/Subject of the last N mails (oldest first).
smtp_mail() {
  local n=${1:-10} f
  [[ $n =~ ^[0-9]+$ ]] || die "usage: infra.sh mail [N]"
  [[ -d $MC_SMTP_MAILDIR ]] || { log "no mail yet ($MC_SMTP_MAILDIR does not exist)"; return 0; }
  while IFS= read -r f; do
    printf '== %s  %s\n' "$(date -r "$f" '+%F %T')" "${f##*/}"
    awk '/^$/ { exit } /^(From|To|Subject|X-RcptTo):/ { print "   " $0 }' "$f"
  done < <(find "$MC_SMTP_MAILDIR/new" "$MC_SMTP_MAILDIR/cur" -type f -printf '%T@ %p\n' 2>/dev/null \
    | sort -n | tail -n "$n" | cut -d' ' -f2-)
}
