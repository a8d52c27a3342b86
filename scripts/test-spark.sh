#!/usr/bin/env bash
# The Spark engine's parity job (not part of the default suite: Spark takes minutes to answer what
# DuckDB answers in milliseconds). Installs Java 17 from Debian if missing and the pinned Spark
# packages, then runs the tests marked `spark` twice: on a local Spark session, and through Spark
# Connect against a Spark Connect server started here (what CX_SPARK_REMOTE points at on a cluster).
# Usage: bash scripts/test-spark.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

VENV="${CX_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PYTHON="$(cd "$(dirname "$VENV/bin/python")" && pwd)/python"
"$PYTHON" -m pip install -q --disable-pip-version-check -r requirements-test.txt -r requirements-spark.txt
export PYSPARK_PYTHON="$PYTHON"

echo "== Spark, local session"
"$PYTHON" -m pytest -m spark tests/test_engines.py "$@"

echo "== Spark Connect"
SPARK_HOME="$("$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
LOG="$(mktemp -t spark-connect.XXXXXX.log)"
setsid "$SPARK_HOME/bin/spark-submit" --class org.apache.spark.sql.connect.service.SparkConnectServer \
  --master "local[2]" --conf spark.ui.enabled=false --conf "spark.connect.grpc.binding.port=$PORT" \
  --conf spark.sql.shuffle.partitions=8 spark-internal >"$LOG" 2>&1 &
SERVER=$!
stop_server() {  # a JVM out of memory may ignore TERM
  kill -- -"$SERVER" 2>/dev/null || return 0
  for _ in $(seq 20); do kill -0 "$SERVER" 2>/dev/null || return 0; sleep 1; done
  kill -9 -- -"$SERVER" 2>/dev/null || true
}
trap stop_server EXIT
for _ in $(seq 120); do
  if "$PYTHON" -c "import socket, sys; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER" 2>/dev/null; then echo "the Spark Connect server stopped; see $LOG" >&2; exit 1; fi
  sleep 1
done
CX_SPARK_REMOTE="sc://127.0.0.1:$PORT" "$PYTHON" -m pytest -m spark tests/test_engines.py "$@"
