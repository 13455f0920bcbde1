# shellcheck shell=bash
# Apache Kafka 3.9.1, single-node KRaft, run straight from the Maven-resolved jars.

KAFKA_VERSION=3.9.1
MC_KAFKA_PORT=${MC_KAFKA_PORT:-19092}
MC_KAFKA_CONTROLLER_PORT=${MC_KAFKA_CONTROLLER_PORT:-19093}
MC_KAFKA_START_TIMEOUT=${MC_KAFKA_START_TIMEOUT:-60}
MC_KAFKA_HEAP_OPTS=${MC_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
KAFKA_LIBS=$MC_CACHE_DIR/kafka-$KAFKA_VERSION/libs
KAFKA_DIR=$MC_STATE_DIR/kafka
MC_KAFKA_DATA_DIR=${MC_KAFKA_DATA_DIR:-$KAFKA_DIR/data}
KAFKA_PID=$KAFKA_DIR/kafka.pid
KAFKA_LOG=$KAFKA_DIR/broker.log
KAFKA_PROPS=$KAFKA_DIR/server.properties

kafka_port() { echo "$MC_KAFKA_PORT"; }
kafka_log() { echo "$KAFKA_LOG"; }
kafka_running() { pid_of "$KAFKA_PID" kafka.Kafka; }
kafka_java() { "${JAVA_HOME:+$JAVA_HOME/bin/}java" "$@"; }

kafka_jvm_opts() {
  # shellcheck disable=SC2206  # heap opts are a word list on purpose
  local heap=($MC_KAFKA_HEAP_OPTS)
  printf '%s\n' "${heap[@]}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    "-Dlog4j.configuration=file:$INFRA_DIR/kafka/log4j.properties" "-Dkafka.logs.dir=$KAFKA_DIR/logs" \
    -cp "$KAFKA_LIBS/*"
}

kafka_render_props() {
  mkdir -p "$KAFKA_DIR/logs" "$MC_KAFKA_DATA_DIR"
  render "$INFRA_DIR/kafka/server.properties.tmpl" "$KAFKA_PROPS" \
    "KAFKA_PORT=$MC_KAFKA_PORT" "KAFKA_CONTROLLER_PORT=$MC_KAFKA_CONTROLLER_PORT" \
    "KAFKA_DATA_DIR=$MC_KAFKA_DATA_DIR"
}

# Cluster id: reuse the formatted one, else the stored one, else a new random one.
kafka_cluster_id() {
  local id_file=$KAFKA_DIR/cluster-id meta=$MC_KAFKA_DATA_DIR/meta.properties
  if [[ -f $meta ]]; then
    sed -n 's/^cluster\.id=//p' "$meta" >"$id_file"
  elif [[ ! -s $id_file ]]; then
    kafka_random_uuid >"$id_file"
  fi
  cat "$id_file"
}

# Same format as `kafka-storage.sh random-uuid` (base64url, 16 bytes, no padding, no leading "-").
kafka_random_uuid() {
  local id=-
  while [[ $id == -* ]]; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done
  echo "$id"
}

kafka_format() {
  local cid; cid=$(kafka_cluster_id)
  [[ -f $MC_KAFKA_DATA_DIR/meta.properties ]] && return 0
  local -a opts; mapfile -t opts < <(kafka_jvm_opts)
  log "kafka: formatting $MC_KAFKA_DATA_DIR (cluster id $cid)"
  kafka_java "${opts[@]}" kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_PROPS" \
    --ignore-formatted >>"$KAFKA_LOG" 2>&1 || die_with_log kafka "$KAFKA_LOG" "storage format failed"
}

kafka_start() {
  [[ -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka: jars missing in $KAFKA_LIBS (run: deploy/local/infra.sh install)"
  ensure_port_free kafka "$MC_KAFKA_PORT" MC_KAFKA_PORT
  ensure_port_free kafka-controller "$MC_KAFKA_CONTROLLER_PORT" MC_KAFKA_CONTROLLER_PORT
  kafka_render_props
  rotate_log "$KAFKA_LOG"
  kafka_format
  local -a opts; mapfile -t opts < <(kafka_jvm_opts)
  KAFKA_T0=$(now_ms)
  start_bg "$KAFKA_LOG" "$KAFKA_PID" "${JAVA_HOME:+$JAVA_HOME/bin/}java" "${opts[@]}" kafka.Kafka "$KAFKA_PROPS"
}

kafka_ready() {
  grep -q 'Kafka Server started' "$KAFKA_LOG" && port_open "$MC_KAFKA_PORT"
}

kafka_wait() {
  local deadline=$((SECONDS + MC_KAFKA_START_TIMEOUT))
  until kafka_ready; do
    kafka_running >/dev/null || die_with_log kafka "$KAFKA_LOG" "broker process exited during startup"
    ((SECONDS < deadline)) || { kafka_stop; die_with_log kafka "$KAFKA_LOG" "not ready after ${MC_KAFKA_START_TIMEOUT}s (stopped it)"; }
    sleep 0.2
  done
  [[ -z ${KAFKA_T0:-} ]] || log "kafka: ready $(elapsed_since "$KAFKA_T0") after launch"
}

kafka_stop() {
  local pid
  pid=$(kafka_running) || return 0
  stop_pid "$pid" 30
}

kafka_wipe() {
  safe_rm_dir "$MC_KAFKA_DATA_DIR"
  rm -f "$KAFKA_DIR/cluster-id"
}
