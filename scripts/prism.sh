#!/usr/bin/env bash
# Starts and stops Stoplight Prism, the independent oracle of the conformance suite
# (tests/tests/conformance.rs), on loopback.
#
#   scripts/prism.sh start   # npm ci if needed, start 8 mock servers, wait until each answers
#   scripts/prism.sh stop    # stop the servers this script started
#
# Static mode (examples from the spec)       Dynamic mode (-d, random schema-valid bodies)
#   api    http://127.0.0.1:4010               api    http://127.0.0.1:4020
#   read   http://127.0.0.1:4011               read   http://127.0.0.1:4021
#   write  http://127.0.0.1:4012               write  http://127.0.0.1:4022
#   search http://127.0.0.1:4013               search http://127.0.0.1:4023
#
# The spec directory is ${AMP_SPEC_DIR:-../shared/spec}, relative to the repository root. When it
# is absent, `start` says so and exits 0: the suite then skips itself too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PRISM_DIR="$ROOT/tests/prism"
SPEC_DIR="${AMP_SPEC_DIR:-../shared/spec}"
STATE_DIR="${AMP_PRISM_STATE_DIR:-$ROOT/target/prism}"
PID_FILE="$STATE_DIR/pids"
HOST=127.0.0.1

# name port spec-file flags
SERVERS=(
  "api    4010 api/generated/api.bundled.json"
  "read   4011 api/read.yaml"
  "write  4012 api/write.yaml"
  "search 4013 api/search.yaml"
  "api-d    4020 api/generated/api.bundled.json -d"
  "read-d   4021 api/read.yaml -d"
  "write-d  4022 api/write.yaml -d"
  "search-d 4023 api/search.yaml -d"
)

answers() {
  # Any HTTP answer (even 404) means the server is up.
  curl -s -o /dev/null --max-time 2 "http://$HOST:$1/" 2>/dev/null
}

start() {
  if [ ! -d "$SPEC_DIR" ]; then
    echo "prism: $SPEC_DIR is absent: not starting Prism (the conformance suite will skip)"
    return 0
  fi
  SPEC_DIR=$(cd "$SPEC_DIR" && pwd)
  if [ ! -x "$PRISM_DIR/node_modules/.bin/prism" ]; then
    echo "prism: installing the pinned Prism (npm ci)"
    (cd "$PRISM_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ -f "$PID_FILE" ]; then
    stop
  fi
  mkdir -p "$STATE_DIR"
  : > "$PID_FILE"
  for server in "${SERVERS[@]}"; do
    read -r name port spec flags <<<"$server"
    # Served from the spec directory itself, so that relative refs such as
    # ../problem/problem.yaml resolve.
    "$PRISM_DIR/node_modules/.bin/prism" mock $flags -h "$HOST" -p "$port" "$SPEC_DIR/$spec" \
      >"$STATE_DIR/$name.log" 2>&1 &
    echo "$! $name $port" >>"$PID_FILE"
  done
  for server in "${SERVERS[@]}"; do
    read -r name port _ <<<"$server"
    local waited=0
    until answers "$port"; do
      if [ "$waited" -ge 120 ]; then
        echo "prism: $name on port $port did not answer within 60 s; its log:" >&2
        cat "$STATE_DIR/$name.log" >&2
        stop
        return 1
      fi
      sleep 0.5
      waited=$((waited + 1))
    done
    echo "prism: $name answers on http://$HOST:$port"
  done
}

stop() {
  [ -f "$PID_FILE" ] || return 0
  while read -r pid name _; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      echo "prism: stopped $name ($pid)"
    fi
  done <"$PID_FILE"
  rm -f "$PID_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
