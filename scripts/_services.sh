# Throw-away PostgreSQL 15 and Redis servers for the tests, in a temporary directory,
# stopped when the calling script exits. Installs redis-server from Debian if missing.
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
SERVICES_DIR=""
stop_services() {
  [ -n "$SERVICES_DIR" ] || return 0
  if [ -f "$SERVICES_DIR/pg/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -f "$SERVICES_DIR/redis.pid" ]; then kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$SERVICES_DIR"
}
as_pg() {
  # PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
  if [ "$(id -u)" != 0 ]; then "$@"; return; fi
  local runuser_bin
  runuser_bin=$(command -v runuser || echo /usr/sbin/runuser)
  "$runuser_bin" -u postgres -- "$@"
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
install_debian() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@") >/dev/null
  fi
}
start_services() {
  SERVICES_DIR=$(mktemp -d /tmp/timeboxd-test.XXXXXX)
  chmod 755 "$SERVICES_DIR"
  trap stop_services EXIT
  if [ -z "${PG_BIN}" ] || [ ! -x "$PG_BIN/initdb" ]; then install_debian postgresql; PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); fi
  command -v redis-server >/dev/null || install_debian redis-server
  local pg_port redis_port
  pg_port=$(free_port)
  mkdir "$SERVICES_DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$SERVICES_DIR/pg"
  as_pg "$PG_BIN/initdb" -D "$SERVICES_DIR/pg" -U postgres -A trust --no-sync >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg" -l "$SERVICES_DIR/pg/log" -w \
    -o "-p $pg_port -k $SERVICES_DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres timeboxd_test
  export TIMEBOXD_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$pg_port/timeboxd_test"
  if command -v redis-server >/dev/null; then
    redis_port=$(free_port)
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
      --daemonize yes --pidfile "$SERVICES_DIR/redis.pid" --dir "$SERVICES_DIR" \
      --logfile "$SERVICES_DIR/redis.log"
    for _ in $(seq 50); do [ -f "$SERVICES_DIR/redis.pid" ] && break; sleep 0.1; done
    export TIMEBOXD_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
  fi
}
