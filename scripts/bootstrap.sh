#!/usr/bin/env bash
# Install what `make run` and `make test` need, only where it is missing:
#   uv, the Python packages (from uv.lock), PostgreSQL + PostGIS, and with --browser Chromium
#   and Node (the JavaScript sync client's tests).
# Uses sudo when not root; where it cannot install, it stops naming the packages to install.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
  esac
done

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO="none"; fi

apt_updated=0
apt_install() {
  if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: please install these system packages, then run again: $*" >&2
    exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_version() {
  ls -1 /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -n 1
}

# --- PostgreSQL server and PostGIS --------------------------------------------------------
if [ -z "${DATABASE_URL:-}${TEST_DATABASE_URL:-}" ] || [ "${FIELDOPS_FORCE_PG:-0}" = "1" ]; then
  ver="$(pg_version)"
  if [ -z "$ver" ] || [ ! -x "/usr/lib/postgresql/$ver/bin/initdb" ]; then
    apt_install postgresql postgresql-contrib
    ver="$(pg_version)"
  fi
  if ! ls "/usr/share/postgresql/$ver/extension/postgis.control" >/dev/null 2>&1; then
    apt_install "postgresql-$ver-postgis-3"
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "error: running as root needs the 'postgres' system user (package postgresql-common)" >&2
    exit 1
  fi
fi

# --- Chromium for the browser test -------------------------------------------------------
if [ "$want_browser" -eq 1 ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium fonts-dejavu-core
fi

# --- Node for the JavaScript sync client's tests --------------------------------------------
if [ "$want_browser" -eq 1 ] && ! command -v node >/dev/null 2>&1; then
  apt_install nodejs npm
fi

# --- uv ----------------------------------------------------------------------------------
UV="$(command -v uv || true)"
if [ -z "$UV" ] && [ -x "$HOME/.local/bin/uv" ]; then UV="$HOME/.local/bin/uv"; fi
if [ -z "$UV" ] && [ -x .tools/bin/uv ]; then UV=".tools/bin/uv"; fi
if [ -z "$UV" ]; then
  if ! command -v python3 >/dev/null 2>&1; then apt_install python3 python3-venv; fi
  if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then apt_install python3-venv; fi
  say "installing uv into .tools/"
  python3 -m venv .tools
  .tools/bin/pip install -q uv
  UV=".tools/bin/uv"
fi

# --- Python packages ---------------------------------------------------------------------
if [ ! -f .venv/.synced ] || [ uv.lock -nt .venv/.synced ] || [ pyproject.toml -nt .venv/.synced ]; then
  say "uv sync (Python packages from uv.lock)"
  "$UV" sync --frozen --quiet
  touch .venv/.synced
fi

