# Shared set-up steps for scripts/demo and scripts/test (sourced, not run).
# Works on a fresh Debian 12 machine as root (or with sudo), and is a no-op where things are already in place.

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

APT_UPDATED=
apt_install() {  # apt_install PKG... : install the Debian packages that are missing
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}"
  [ -n "$APT_UPDATED" ] || { as_root apt-get update -qq; APT_UPDATED=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_venv() {  # a virtualenv in .venv with gongkai installed (extras as $1, e.g. "[test]"); kept while unchanged
  command -v python3 >/dev/null 2>&1 || apt_install python3
  if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then apt_install python3-venv; fi
  local stamp=.venv/.gongkai-installed want
  want="${1:-} $(cat pyproject.toml | sha256sum | cut -c1-16)"
  if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  [ -x .venv/bin/python ] || python3 -m venv .venv
  echo "installing gongkai${1:-} into .venv (a minute the first time)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".${1:-}"
  echo "$want" > "$stamp"
}

start_postgres() {  # PostgreSQL on 127.0.0.1:5432, reachable as postgres without a password
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || { echo "PostgreSQL is not installed" >&2; return 1; }
    echo "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    # a fresh Debian cluster asks for a password on TCP: trust local TCP connections (test machines only)
    local hba
    hba=$(as_root runuser -u postgres -- psql -Atc 'show hba_file')
    echo "allowing password-less local TCP connections in $hba"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    as_root runuser -u postgres -- psql -qc 'select pg_reload_conf()' >/dev/null
  fi
}

start_redis() {  # Redis on 127.0.0.1:6379
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/gongkai.log
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
}
