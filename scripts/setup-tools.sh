#!/usr/bin/env bash
# Install the pinned Open Policy Agent and Regal into .tools/bin, building them from the
# Go module proxy once per user and version and linking the cached binaries afterwards;
# install PostgreSQL's server (Debian's postgresql package) when it is missing.
set -euo pipefail

OPA_VERSION="${OPA_VERSION:-v1.22.3}"
# Regal v0.40.0 and later are refused by the module proxy here (403) or have no checksum
# database entry (v0.41.1); v0.39.0 is the newest tag that builds from the proxy.
REGAL_VERSION="${REGAL_VERSION:-v0.39.0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${TRUSTPOLICY_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/trustpolicy/tools}"
bindir="$root/.tools/bin"
mkdir -p "$bindir" "$cache"

# install NAME MODULE VERSION: a binary counts as cached only with the stamp written after
# a complete build (Regal built from the module proxy reports its version as "unknown").
install_tool() {
  local name="$1" module="$2" version="$3"
  local dir="$cache/$name-$version"
  local bin="$dir/$name"
  if [[ -x "$bin" && "$(cat "$dir/.built" 2>/dev/null)" == "$module@$version" ]]; then
    echo "setup: $name $version found in $dir"
  else
    if ! command -v go >/dev/null 2>&1; then
      echo "setup: error: go is required to build $name $version (go install $module@$version)" >&2
      exit 1
    fi
    echo "setup: building $name $version with 'go install $module@$version' (first time only; this takes a few minutes)..."
    local tmp
    tmp="$(mktemp -d "$cache/.build-$name-XXXXXX")"
    local start=$SECONDS
    # Built inside a throwaway module: 'go install module@version' also asks the proxy for the
    # module's version list (to report deprecations), which the proxy refuses for Regal.
    if ! (cd "$tmp" && export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false GOBIN="$tmp" \
          && go mod init "trustpolicy-tools/$name" >/dev/null 2>&1 \
          && go get "$module@$version" && go install "$module"); then
      rm -rf "$tmp"
      echo "setup: error: building $name $version failed (see the go output above)" >&2
      exit 1
    fi
    mkdir -p "$dir"
    mv -f "$tmp/$name" "$bin"
    echo "$module@$version" > "$dir/.built"
    rm -rf "$tmp"
    echo "setup: built $name $version in $((SECONDS - start)) s -> $bin"
  fi
  ln -sfn "$bin" "$bindir/$name"
}

install_tool opa github.com/open-policy-agent/opa "$OPA_VERSION"
install_tool regal github.com/open-policy-agent/regal "$REGAL_VERSION"
# Read the whole output first: `grep -q` closing the pipe early kills `opa version` with
# SIGPIPE, which pipefail turns into a failed check.
opa_version_output="$("$bindir/opa" version)"
if ! grep -qx "Version: ${OPA_VERSION#v}" <<<"$opa_version_output"; then
  echo "setup: error: $bindir/opa does not report version $OPA_VERSION" >&2
  exit 1
fi

# PostgreSQL server binaries for the store's tests (tests/pg_server.py runs initdb and pg_ctl
# into a temporary directory): Debian's postgresql package, installed when missing.
pg_bindir() {
  if [[ -n "${TRUSTPOLICY_PG_BINDIR:-}" && -x "$TRUSTPOLICY_PG_BINDIR/initdb" ]]; then
    echo "$TRUSTPOLICY_PG_BINDIR"; return 0
  fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}
if ! pg_bindir >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing PostgreSQL (Debian package postgresql) for the store tests..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    # The package may start its default cluster; the tests run their own, so stop it again.
    if command -v pg_lsclusters >/dev/null 2>&1; then
      pg_lsclusters -h 2>/dev/null | while read -r ver name _port status _rest; do
        [[ "$status" == online* ]] && pg_ctlcluster "$ver" "$name" stop || true
      done
    fi
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing PostgreSQL with sudo apt-get install postgresql..."
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  if ! pg_bindir >/dev/null; then
    echo "setup: error: PostgreSQL server binaries (initdb, pg_ctl) are required for the store" \
      "tests: install Debian's postgresql package (or set TRUSTPOLICY_PG_BINDIR)" >&2
    exit 1
  fi
fi
echo "setup: PostgreSQL server binaries in $(pg_bindir)"

# System packages the report's PDF and its tests need: WeasyPrint's Pango libraries and a
# font, headless Chromium (the HTML report is tested in a real browser) and poppler-utils
# (pdftoppm/pdftotext read the PDF back). Installed from Debian when missing (as root).
apt_packages=(chromium poppler-utils fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0)
missing=()
for pkg in "${apt_packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == *"install ok installed"* ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: error: missing system packages ${missing[*]} (install them with apt-get as root)" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]} from Debian (once)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python environment: a project-local virtualenv with the package and its test extra.
venv="$root/.venv"
stamp="$venv/.trustpolicy-installed"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "setup: creating $venv"
  python3 -m venv "$venv"
fi
if [[ ! -f "$stamp" || "$root/pyproject.toml" -nt "$stamp" ]]; then
  echo "setup: installing trustpolicy and its test dependencies into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[test]"
  touch "$stamp"
fi
echo "setup: ready: $("$bindir/opa" version | head -1), regal $REGAL_VERSION, $("$venv/bin/python" --version)"
