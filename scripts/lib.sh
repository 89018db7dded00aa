# Shared shell functions for ./run and scripts/node: find or bring Node 22+, install the npm packages,
# and install the Debian packages the tests need. Sourced, never run; messages go to stderr.

VESPERA_ROOT=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
while [ ! -f "$VESPERA_ROOT/package.json" ] && [ "$VESPERA_ROOT" != / ]; do VESPERA_ROOT=$(dirname "$VESPERA_ROOT"); done
VESPERA_NODE_DIR="$VESPERA_ROOT/.cache/node"
VESPERA_NODE_MAJOR=22

say() { printf '%s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Puts a Node >= 22 first on PATH. Where the machine's node is older, the `node-linux-<arch>` package
# from the npm registry (the official binary, published by the `node` package's maintainers) is
# unpacked into .cache/node once.
ensure_node() {
  if command -v node >/dev/null 2>&1 && [ "$(node_major node)" -ge "$VESPERA_NODE_MAJOR" ]; then return 0; fi
  if [ ! -x "$VESPERA_NODE_DIR/bin/node" ] || [ "$(node_major "$VESPERA_NODE_DIR/bin/node")" -lt "$VESPERA_NODE_MAJOR" ]; then
    command -v npm >/dev/null 2>&1 || die "setup: Node $VESPERA_NODE_MAJOR+ is required and npm is missing to fetch it; install nodejs and npm (Debian: apt-get install nodejs npm)."
    case "$(uname -m)" in
      x86_64) arch=x64 ;; aarch64) arch=arm64 ;; ppc64le) arch=ppc64le ;; s390x) arch=s390x ;;
      *) die "setup: no Node $VESPERA_NODE_MAJOR package for $(uname -m) on the npm registry; install Node $VESPERA_NODE_MAJOR+ yourself." ;;
    esac
    have=$(node --version 2>/dev/null || echo none)
    say "setup: this machine has Node $have; bringing Node $VESPERA_NODE_MAJOR from the npm registry (node-linux-$arch) into .cache/node"
    tmp=$(mktemp -d "$VESPERA_ROOT/.cache-node.XXXXXX")
    if ! npm install --silent --prefix "$tmp" --no-save --no-package-lock --ignore-scripts "node-linux-$arch@$VESPERA_NODE_MAJOR" >/dev/null 2>&1; then
      rm -rf "$tmp"; die "setup: could not download node-linux-$arch@$VESPERA_NODE_MAJOR from the npm registry; check the network or install Node $VESPERA_NODE_MAJOR+."
    fi
    mkdir -p "$VESPERA_ROOT/.cache"; rm -rf "$VESPERA_NODE_DIR"
    mv "$tmp/node_modules/node-linux-$arch" "$VESPERA_NODE_DIR"; rm -rf "$tmp"
  fi
  PATH="$VESPERA_NODE_DIR/bin:$PATH"; export PATH
}

# npm ci when node_modules does not match the lockfile (recorded by its hash).
ensure_npm_packages() {
  stamp="$VESPERA_ROOT/node_modules/.vespera-lock"
  want=$(sha256sum "$VESPERA_ROOT/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "setup: installing npm packages (npm ci)"
    (cd "$VESPERA_ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "setup: npm ci failed; see the messages above."
    printf '%s' "$want" > "$stamp"
  fi
}

# Debian packages the test world needs (and with it the demo), each with the file that proves it is
# installed; the tests need a few more.
VESPERA_DEMO_PACKAGES="dbus-daemon:/usr/bin/dbus-daemon python3-gi:/usr/lib/python3/dist-packages/gi/__init__.py gir1.2-glib-2.0:girepository docker-registry:/usr/bin/docker-registry"
VESPERA_TEST_PACKAGES="$VESPERA_DEMO_PACKAGES chromium:/usr/bin/chromium skopeo:/usr/bin/skopeo jq:/usr/bin/jq fonts-liberation:/usr/share/fonts/truetype/liberation"
# The packaging inputs' own validators (test/integration/packaging/); polkitd ships polkit's policyconfig-1.dtd.
VESPERA_TEST_PACKAGES="$VESPERA_TEST_PACKAGES desktop-file-utils:/usr/bin/desktop-file-validate appstream:/usr/bin/appstreamcli libxml2-utils:/usr/bin/xmllint polkitd:/usr/share/polkit-1/policyconfig-1.dtd systemd:/usr/bin/systemd-analyze shellcheck:/usr/bin/shellcheck"

# ensure_packages WHAT LIST: installs what is missing (as root, with apt-get) or stops with one line.
ensure_packages() {
  what=$1; missing=""
  for entry in $2; do
    pkg=${entry%%:*}; path=${entry#*:}
    if [ "$path" = girepository ]; then
      path=$(ls /usr/lib/*/girepository-1.0/Gio-2.0.typelib 2>/dev/null | head -n1); [ -n "$path" ] || path=/nonexistent
    fi
    [ -e "$path" ] || missing="$missing $pkg"
  done
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "setup: $what needs these Debian packages:$missing — install them as root: apt-get install$missing"
  fi
  say "setup: installing Debian packages for $what:$missing"
  (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2) \
    || die "setup: apt-get could not install$missing; install them and run again."
}

ensure_test_packages() { ensure_packages "the tests" "$VESPERA_TEST_PACKAGES"; }

# The real containers/image with sigstore verification, which the tests hold the OS side to (Debian's
# skopeo has it switched off). Keep in step with test/support/skopeo.ts, which reads the same places:
# $VESPERA_SKOPEO, then ../shared/tools/skopeo beside the checkout, then a system skopeo that verifies
# sigstore signatures (Fedora's). Exports VESPERA_SKOPEO, or stops with one line saying how to get one.
VESPERA_SKOPEO_HELP="on Fedora: dnf install skopeo; elsewhere build it with Go 1.19+: git clone --depth 1 --branch v1.14.5 https://github.com/containers/skopeo && cd skopeo && GOFLAGS=-mod=vendor CGO_ENABLED=0 go build -tags 'containers_image_openpgp exclude_graphdriver_btrfs exclude_graphdriver_devicemapper' ./cmd/skopeo, then set VESPERA_SKOPEO to the skopeo it wrote there (export VESPERA_SKOPEO=\$PWD/skopeo)"
# ./run changes folder before it looks: a relative VESPERA_SKOPEO means relative to where it was typed.
case "${VESPERA_SKOPEO:-}" in ''|/*) ;; *) VESPERA_SKOPEO="$PWD/$VESPERA_SKOPEO" ;; esac
skopeo_verifies_sigstore() {
  [ -f "$1" ] && [ -x "$1" ] || return 1
  version=$("$1" --version 2>/dev/null | sed -n 's/^skopeo version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  [ -n "$version" ] || return 1
  set -- "$1" $version
  [ "$2" -gt 1 ] || { [ "$2" -eq 1 ] && [ "$3" -ge 10 ]; } || return 1
  # Debian's build answers every sigstore rule with this sentence instead of verifying.
  ! grep -qF 'Debian-local change: sigstore disabled' "$1"
}
ensure_sigstore_skopeo() {
  if [ -n "${VESPERA_SKOPEO:-}" ]; then
    skopeo_verifies_sigstore "$VESPERA_SKOPEO" && { export VESPERA_SKOPEO; return 0; }
    die "setup: VESPERA_SKOPEO=$VESPERA_SKOPEO is not a skopeo 1.10+ that verifies sigstore signatures (the tests need the real containers/image; Debian's has it switched off): $VESPERA_SKOPEO_HELP."
  fi
  for candidate in "$VESPERA_ROOT/../shared/tools/skopeo" "$(command -v skopeo 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && skopeo_verifies_sigstore "$candidate"; then
      VESPERA_SKOPEO=$(cd "$(dirname "$candidate")" && pwd)/$(basename "$candidate"); export VESPERA_SKOPEO; return 0
    fi
  done
  die "setup: the tests need a skopeo that verifies sigstore signatures (the real containers/image; Debian's has it switched off) and none was found (VESPERA_SKOPEO is unset, no ../shared/tools/skopeo beside the checkout, no such skopeo on PATH): $VESPERA_SKOPEO_HELP."
}
ensure_demo_packages() { ensure_packages "the demo" "$VESPERA_DEMO_PACKAGES"; }
