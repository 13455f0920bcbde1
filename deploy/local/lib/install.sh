# shellcheck shell=bash
# `infra.sh install`: install only what is missing; downloads are cached in MC_CACHE_DIR.

APT_PACKAGES=(postgresql-15 postgresql-15-postgis-3 redis-server mosquitto mosquitto-clients
  openjdk-17-jre-headless maven)

apt_missing() {
  local pkg
  for pkg in "$@"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) == installed ]] || echo "$pkg"
  done
}

install_apt() {
  local -a missing
  mapfile -t missing < <(apt_missing "$@")
  if ((${#missing[@]} == 0)); then log "apt: all packages present, skipped"; return 0; fi
  command -v apt-get >/dev/null || die "apt-get not found; install manually: ${missing[*]}"
  log "apt: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

uv_present() { command -v uv >/dev/null || [[ -x $HOME/.local/bin/uv ]]; }
pip_present() { python3 -m pip --version >/dev/null 2>&1; }

install_uv() {
  if uv_present; then log "uv: present, skipped"; return 0; fi
  log "uv: pip install --user uv"
  # Debian's system python is "externally managed" (PEP 668): retry with --break-system-packages.
  python3 -m pip install -q --user uv 2>/dev/null \
    || python3 -m pip install -q --user --break-system-packages uv
  uv_present || die "uv installed but not on PATH: add \$HOME/.local/bin to PATH"
}

install_kafka_jars() {
  if [[ -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar && -f $KAFKA_LIBS/.complete ]]; then
    log "kafka: jars present in $KAFKA_LIBS, skipped"; return 0
  fi
  log "kafka: resolving Kafka $KAFKA_VERSION jars from Maven Central"
  local tmp=$KAFKA_LIBS.tmp
  safe_rm_dir "$tmp"
  local mvn_log=$MC_CACHE_DIR/kafka-maven.log
  mkdir -p "$MC_CACHE_DIR"
  mvn -B -Dstyle.color=never -f "$INFRA_DIR/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime "-DoutputDirectory=$tmp" >"$mvn_log" 2>&1 \
    || die_with_log kafka "$mvn_log" "maven dependency resolution failed"
  [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka: kafka_2.13-$KAFKA_VERSION.jar not resolved"
  touch "$tmp/.complete"
  safe_rm_dir "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  log "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS"
}

# First usable go toolchain, if any.
go_bin() {
  local g
  for g in "${MC_GO:-}" "$(command -v go 2>/dev/null)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
    [[ -n $g && -x $g ]] && { echo "$g"; return 0; }
  done
  return 1
}

# Minor version of a go toolchain ("go1.26.8" -> 26).
go_minor() {
  local v
  v=$(GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go1.}; echo "${v%%.*}"
}

modern_go() { local g m; g=$(go_bin) && m=$(go_minor "$g") && ((m >= 22)) && echo "$g"; }

stripe_mock_reports() { [[ $("$STRIPE_MOCK_BIN" -version 2>/dev/null | head -n 1) == "stripe-mock $1" ]]; }

stripe_mock_installed() {
  [[ -x $STRIPE_MOCK_BIN ]] || return 1
  stripe_mock_reports "$STRIPE_MOCK_VERSION" && return 0
  stripe_mock_reports "$STRIPE_MOCK_FALLBACK_VERSION" && ! modern_go >/dev/null
}

install_stripe_mock() {
  if stripe_mock_installed; then log "stripe-mock: $("$STRIPE_MOCK_BIN" -version | head -n 1) present, skipped"; return 0; fi
  local go pin=$STRIPE_MOCK_VERSION
  if ! go=$(modern_go); then
    go=$(go_bin) || die "stripe-mock: no go toolchain (golang-go should have been installed)"
    pin=$STRIPE_MOCK_FALLBACK_VERSION
    log "stripe-mock: $go is older than 1.22, using fallback pin $pin"
  fi
  log "stripe-mock: go install github.com/stripe/stripe-mock@$pin"
  mkdir -p "$(dirname "$STRIPE_MOCK_BIN")"
  GOBIN=$(dirname "$STRIPE_MOCK_BIN") GOTOOLCHAIN=local "$go" install \
    -ldflags "-X main.version=$pin" "github.com/stripe/stripe-mock@$pin" || die "stripe-mock: go install failed"
  stripe_mock_reports "$pin" || die "stripe-mock: built binary does not report $pin"
}

# Extra apt packages needed only when a tool is missing entirely.
extra_apt_packages() {
  if ! stripe_mock_installed && ! go_bin >/dev/null; then echo golang-go; fi
  if ! uv_present && ! pip_present; then echo python3-pip; fi
}

cmd_install() {
  local t0 extra; t0=$(now_ms)
  mapfile -t extra < <(extra_apt_packages)
  install_apt "${APT_PACKAGES[@]}" "${extra[@]}"
  install_uv
  install_kafka_jars
  install_stripe_mock
  log "install: done in $(elapsed_since "$t0") (cache: $MC_CACHE_DIR)"
}
