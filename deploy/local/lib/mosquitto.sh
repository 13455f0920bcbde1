# shellcheck shell=bash
# Mosquitto MQTT broker with password + ACL auth; vehicles may only touch their own topics.

MC_MQTT_PORT=${MC_MQTT_PORT:-51883}
MC_MQTT_GATEWAY_USER=${MC_MQTT_GATEWAY_USER:-iot-gateway}
MC_MQTT_GATEWAY_PASSWORD=${MC_MQTT_GATEWAY_PASSWORD:-gateway-dev-password}  # dev-only default
MQ_DIR=$MC_STATE_DIR/mosquitto
MQ_CONF=$MQ_DIR/mosquitto.conf
MQ_PASSWD=$MQ_DIR/passwd
MQ_ACL=$MQ_DIR/acl
MQ_PID=$MQ_DIR/mosquitto.pid
MQ_LOG=$MQ_DIR/mosquitto.log
MQ_VEHICLES_IN=$MQ_DIR/vehicles.passwd.in   # "vehicle-id:password" lines, written by fleet seeding

mosquitto_port() { echo "$MC_MQTT_PORT"; }
mosquitto_log() { echo "$MQ_LOG"; }
mosquitto_running() { pid_of "$MQ_PID" mosquitto; }

# Root mosquitto drops to user "mosquitto", which must still read passwd/acl and write the log.
mq_fix_owner() {
  if is_root; then chown -R mosquitto:mosquitto "$MQ_DIR"; fi
}

mq_write_acl() {
  sed "s/^user iot-gateway\$/user $MC_MQTT_GATEWAY_USER/" "$INFRA_DIR/mosquitto/acl" >"$MQ_ACL"
  chmod 600 "$MQ_ACL"
}

# Clear-text gateway + vehicle credentials, hashed in one go with mosquitto_passwd -U.
mq_write_passwd() {
  local tmp
  tmp=$(mktemp "$MQ_DIR/passwd.XXXXXX")
  printf '%s:%s\n' "$MC_MQTT_GATEWAY_USER" "$MC_MQTT_GATEWAY_PASSWORD" >"$tmp"
  if [[ -f $MQ_VEHICLES_IN ]]; then
    awk -F: -v gw="$MC_MQTT_GATEWAY_USER" 'NF >= 2 && $1 !~ /^[[:space:]]*#/ && $1 != gw' \
      "$MQ_VEHICLES_IN" >>"$tmp"
  fi
  mosquitto_passwd -U "$tmp" || { rm -f "$tmp"; die "mosquitto: mosquitto_passwd -U failed"; }
  chmod 600 "$tmp"
  mv -f "$tmp" "$MQ_PASSWD"
}

mq_write_config() {
  mkdir -p "$MQ_DIR"
  render "$INFRA_DIR/mosquitto/mosquitto.conf.tmpl" "$MQ_CONF" "MQTT_PORT=$MC_MQTT_PORT" \
    "PASSWD_FILE=$MQ_PASSWD" "ACL_FILE=$MQ_ACL" "PID_FILE=$MQ_PID" "LOG_FILE=$MQ_LOG"
  mq_write_acl
  mq_write_passwd
  mq_fix_owner
}

mosquitto_start() {
  command -v mosquitto >/dev/null || die "mosquitto: not found (run: deploy/local/infra.sh install)"
  ensure_port_free mosquitto "$MC_MQTT_PORT" MC_MQTT_PORT
  mq_write_config
  rm -f "$MQ_PID"
  mosquitto -c "$MQ_CONF" -d || die_with_log mosquitto "$MQ_LOG" "mosquitto failed to start"
}

# mosquitto_pub exits 0 even when the PUBACK says "Not authorized", so check its output too.
mq_gateway_pub() {
  local out
  out=$(mosquitto_pub -h 127.0.0.1 -p "$MC_MQTT_PORT" -V mqttv5 -q 1 -i "infra-check-$$" \
    -u "$MC_MQTT_GATEWAY_USER" -P "$MC_MQTT_GATEWAY_PASSWORD" -t vehicles/_infra/health -m ok 2>&1) \
    && [[ $out != *[Ff]ailed* && $out != *rror* ]]
}

mosquitto_wait() {
  wait_until 15 port_open "$MC_MQTT_PORT" || die_with_log mosquitto "$MQ_LOG" "port $MC_MQTT_PORT not open after 15s"
  wait_until 10 mq_gateway_pub || die_with_log mosquitto "$MQ_LOG" "gateway account cannot publish"
}

# Regenerate acl/passwd (e.g. after fleet seeding wrote vehicles.passwd.in) and SIGHUP the broker.
mosquitto_reload() {
  local pid
  pid=$(mosquitto_running) || die "mosquitto is not running (run: deploy/local/infra.sh up mosquitto)"
  mq_write_acl
  mq_write_passwd
  mq_fix_owner
  kill -HUP "$pid"
  log "mosquitto: reloaded $(wc -l <"$MQ_PASSWD") account(s)"
}

mosquitto_stop() {
  local pid
  pid=$(mosquitto_running) || return 0
  stop_pid "$pid" 10
}

mosquitto_wipe() { :; }
