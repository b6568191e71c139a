# Sourced by .ci/run and scripts/test.sh: a throwaway redis-server for the cache's tests, which run against a real
# Redis (never a mock). Installs Debian's redis-server package when it is missing, starts it on a free port without
# persistence, stops it when the script exits, and exports PLX_TEST_REDIS_URL for the tests (which fail, not skip,
# without it). A PLX_TEST_REDIS_URL already set is used as it is.
if [ -n "${PLX_TEST_REDIS_URL:-}" ]; then
  echo "using the Redis at $PLX_TEST_REDIS_URL" >&2
  return 0
fi
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is missing: installing Debian's redis-server package" >&2
  if [ "$(id -u)" = 0 ]; then plx_sudo=""; else plx_sudo="sudo"; fi
  $plx_sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $plx_sudo apt-get install -y -qq redis-server >&2
fi
plx_redis_port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
plx_redis_dir="$(mktemp -d)"
redis-server --port "$plx_redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$plx_redis_dir" \
  --daemonize no --loglevel warning >"$plx_redis_dir/redis.log" 2>&1 &
plx_redis_pid=$!
trap 'kill "$plx_redis_pid" 2>/dev/null || true; rm -rf "$plx_redis_dir"' EXIT
for _ in $(seq 1 100); do
  if redis-cli -p "$plx_redis_port" ping >/dev/null 2>&1; then break; fi
  sleep 0.1
done
if ! redis-cli -p "$plx_redis_port" ping >/dev/null 2>&1; then
  echo "redis-server did not start on port $plx_redis_port:" >&2
  cat "$plx_redis_dir/redis.log" >&2
  exit 1
fi
export PLX_TEST_REDIS_URL="redis://127.0.0.1:$plx_redis_port"
echo "using redis-server $(redis-server --version | awk '{print $3}') at $PLX_TEST_REDIS_URL" >&2
