#!/usr/bin/env bash
# Opt-in: a real LiteLLM proxy on loopback in front of the bundled mock (an Anthropic backend),
# and the suite run through it with --provider litellm. LiteLLM lives in its own venv
# ($LITELLM_VENV, default /work/litellm-venv: pip install 'litellm[proxy]') to keep the main one clean.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${LITELLM_VENV:-/work/litellm-venv}"
MSGCONFORM="${MSGCONFORM:-$REPO/.venv/bin/msgconform}"
MOCK_PORT="${MOCK_PORT:-18181}" PORT="${LITELLM_PORT:-14000}"
WORK="$(mktemp -d)"
[ -x "$VENV/bin/litellm" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q 'litellm[proxy]'; }
export MSGCONFORM_MOCK_KEY="mock-$RANDOM$RANDOM" LITELLM_API_KEY="sk-interop-$RANDOM$RANDOM"
cat > "$WORK/config.yaml" <<YAML
model_list:
  - model_name: mock-sonnet
    litellm_params:
      model: anthropic/mock-sonnet
      api_base: http://127.0.0.1:$MOCK_PORT
      api_key: os.environ/MSGCONFORM_MOCK_KEY
general_settings:
  master_key: os.environ/LITELLM_API_KEY
litellm_settings:
  num_retries: 0
  drop_params: false
YAML
"$MSGCONFORM" mock --provider mock --host 127.0.0.1 --port "$MOCK_PORT" > "$WORK/mock.log" 2>&1 &
MOCK_PID=$!
"$VENV/bin/litellm" --config "$WORK/config.yaml" --host 127.0.0.1 --port "$PORT" > "$WORK/litellm.log" 2>&1 &
PROXY_PID=$!
trap 'kill "$PROXY_PID" "$MOCK_PID" 2>/dev/null || true; echo "logs: $WORK"' EXIT
for _ in $(seq 1 240); do
  curl -fs "http://127.0.0.1:$PORT/health/liveliness" >/dev/null 2>&1 && break
  kill -0 "$PROXY_PID" 2>/dev/null || { cat "$WORK/litellm.log"; exit 1; }
  sleep 0.5
done
cd "$REPO"
"$MSGCONFORM" run --provider litellm --base-url "http://127.0.0.1:$PORT" --out "${OUT:-reports}" "$@"
