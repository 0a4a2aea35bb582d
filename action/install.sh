#!/usr/bin/env bash
# The install step of the oauthx GitHub Action (action.yml; docs/ci.md "Installing in CI"):
# downloads the release binary for this runner's OS, CPU and libc, checks it against the
# release's SHA256SUMS, and puts it on PATH. Nothing is installed unless the digest matches.
#
# Environment (action.yml sets it from the inputs):
#   OAUTHX_VERSION    the version to install, `0.1.0` or `v0.1.0` (required)
#   OAUTHX_BASE_URL   where releases are: `<base>/v<version>/<asset>`. Default: the GitHub releases
#                     of the repository the action was taken from, read from its checkout's path
#                     (`_actions/<owner>/<repo>/<ref>`; github.action_repository is empty in
#                     composite actions). Any URL curl reads, `file://` included (the tests use one).
#   OAUTHX_INSTALL_DIR  where the binary goes (default: $RUNNER_TOOL_CACHE/oauthx/<version>/<target>)
# It appends that directory to $GITHUB_PATH and writes `path` and `version` to $GITHUB_OUTPUT.
set -euo pipefail

fail() {
  printf '::error title=oauthx::%s\n' "$1" >&2
  exit 1
}

version="${OAUTHX_VERSION:-}"
version="${version#v}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
  fail "the version input must be a release version such as 0.1.0, not \"${OAUTHX_VERSION:-}\""

os="${RUNNER_OS:-$(uname -s)}"
arch="${RUNNER_ARCH:-$(uname -m)}"
case "$os" in
  Linux) os=linux ;;
  macOS | Darwin) os=darwin ;;
  Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) fail "no oauthx release for the OS $os" ;;
esac
case "$arch" in
  X64 | x86_64 | amd64) arch=x64 ;;
  ARM64 | aarch64 | arm64) arch=arm64 ;;
  *) fail "no oauthx release for the CPU $arch" ;;
esac
target="$os-$arch"
# Alpine and other musl systems (a job's container) need the musl build. musl's ldd says so and
# exits 1; the output is taken whole, as a pipe into grep would fail under pipefail.
if [ "$os" = linux ]; then
  ldd_says=$(ldd --version 2>&1 || true)
  if [[ "$ldd_says" == *musl* ]]; then target="$target-musl"; fi
fi
case "$target" in
  linux-x64 | linux-arm64 | linux-x64-musl | darwin-x64 | darwin-arm64 | windows-x64) ;;
  *) fail "no oauthx release for $target" ;;
esac
exe=""
[ "$os" = windows ] && exe=".exe"
asset="oauthx-$version-$target$exe"

base="${OAUTHX_BASE_URL:-}"
if [ -z "$base" ]; then
  # <runner>/_actions/<owner>/<repo>/<ref>: the repository the workflow took the action from.
  action_path="${GITHUB_ACTION_PATH:-}"
  action_path="${action_path//\\//}"
  if [[ "$action_path" =~ /_actions/([^/]+)/([^/]+)/[^/]+/?$ ]]; then
    base="${GITHUB_SERVER_URL:-https://github.com}/${BASH_REMATCH[1]}/${BASH_REMATCH[2]}/releases/download"
  else
    fail "cannot tell which repository's releases to download from: set the base-url input"
  fi
fi
base="${base%/}"

download=$(mktemp -d)
trap 'rm -rf "$download"' EXIT
# Redirects (GitHub's release downloads make one) only to https: the binary and SHA256SUMS come
# the same way, so a hop to plain http would let whoever sits on the path replace both.
fetch() {
  curl --fail --silent --show-error --location --proto-redir =https --retry 3 --connect-timeout 20 \
    --max-time 300 --output "$download/$1" "$base/v$version/$1" ||
    fail "could not download $base/v$version/$1"
}
fetch SHA256SUMS
fetch "$asset"

# `<digest>  <name>`: the line sha256sum writes (a `*` before the name in binary mode).
expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1 }' "$download/SHA256SUMS")
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fail "SHA256SUMS of v$version has no single entry for $asset"
if command -v sha256sum >/dev/null; then
  actual=$(sha256sum "$download/$asset" | cut -d ' ' -f 1)
else
  actual=$(shasum -a 256 "$download/$asset" | cut -d ' ' -f 1)
fi
actual="${actual#\\}"
[ "$actual" = "$expected" ] ||
  fail "$asset does not match SHA256SUMS (its SHA-256 is $actual, the release lists $expected): not installed"

dir="${OAUTHX_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-$download}}/oauthx/$version/$target}"
mkdir -p "$dir"
chmod 0755 "$download/$asset"
# A rename onto the final name only after the check: PATH never holds an unchecked binary.
mv -f "$download/$asset" "$dir/oauthx$exe"
said=$("$dir/oauthx$exe" --version 2>&1 | head -n 1) || true
[ "$said" = "oauthx $version" ] || fail "the installed binary says \"$said\", not \"oauthx $version\""

if [ -n "${GITHUB_PATH:-}" ]; then echo "$dir" >>"$GITHUB_PATH"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "path=$dir/oauthx$exe"
    echo "version=$version"
  } >>"$GITHUB_OUTPUT"
fi
echo "oauthx $version ($target) installed in $dir, checked against SHA256SUMS"
