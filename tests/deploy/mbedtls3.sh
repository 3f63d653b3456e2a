#!/usr/bin/env bash
# s3mpu against Debian 13's mbedTLS 3.6: libmbedtls-dev and its libraries come
# from the trixie suite of the Debian archive this machine's apt already uses
# (a private apt configuration, nothing installed into the system), unpacked
# into build/mbedtls3/prefix and kept there for later runs. Builds s3mpu and
# the fuzzers with it, fails unless the binary and a unit test load that
# prefix's libmbedcrypto 3.6, then runs make check (its summary ends the output).
# Usage: tests/deploy/mbedtls3.sh   (after autoreconf -fi)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$top/build/mbedtls3
prefix=$work/prefix
suite=trixie

fetch() {
    local apt=$work/apt debs=$work/debs uri deps deb
    # the archive of this machine's own release, as apt reads its sources
    # (one-line or deb822)
    uri=$(. /etc/os-release && apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
        awk -v release="$VERSION_CODENAME" '$2 == release { print $1; exit }')
    if [ -z "$uri" ]; then
        echo "no Debian archive for this release in this machine's apt sources" >&2
        return 1
    fi
    rm -rf "$apt" "$debs" "$prefix"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$debs" "$prefix"
    # the archive keyring holds the trixie keys; /etc/apt/trusted.gpg.d may not
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
        > "$apt/sources.list"
    # root without the _apt sandbox: _apt may not reach into this worktree
    local opts=(-q -o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=-
        -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root)
    echo "==> fetching libmbedtls-dev from $uri $suite"
    apt-get "${opts[@]}" update
    (cd "$debs" && apt-get "${opts[@]}" download "libmbedtls-dev/$suite")
    # its libraries at the exact versions it names: "libmbedcrypto16 (= 3.6.6-1), ..."
    deps=$(dpkg-deb -f "$debs"/libmbedtls-dev_*.deb Depends | sed 's/ *(= *\([^)]*\))/=\1/g; s/,/ /g')
    # shellcheck disable=SC2086 # one word per package
    (cd "$debs" && apt-get "${opts[@]}" download $deps)
    for deb in "$debs"/*.deb; do
        dpkg-deb -x "$deb" "$prefix"
    done
    touch "$prefix/.complete"
}

if [ -f "$prefix/.complete" ]; then
    echo "==> mbedTLS from $suite already in ${prefix#"$top"/}"
else
    fetch
fi
libdir=$(dirname "$(find "$prefix" -name libmbedcrypto.so -print -quit)")
ls "$work"/debs/*.deb | sed 's|.*/|    |'

# the private mbedTLS given to configure directly: pkg-config would find the
# system's, and the trixie .pc file says prefix=/usr
build=$work/build
mkdir -p "$build"
(cd "$build" && "$top/configure" -q --enable-werror MBEDCRYPTO_CFLAGS="-I$prefix/usr/include" \
    MBEDCRYPTO_LIBS="-L$libdir -Wl,-rpath,$libdir -lmbedcrypto")
make -C "$build" -j2
make -C "$build" -j2 fuzz
make -C "$build" -j2 tests/unit/test_sha256_stream

# which libmbedcrypto the dynamic linker picks: the prefix's, and it is 3.6
linked=0
for exe in src/s3mpu tests/unit/test_sha256_stream; do
    line=$(ldd "$build/$exe" | grep libmbedcrypto || true)
    echo "ldd $exe: $line"
    path=$(echo "$line" | sed -n 's/.*=> \([^ ]*\) .*/\1/p')
    case "$path:$(readlink -f "${path:-/nonexistent}")" in
        "$libdir"/*:*/libmbedcrypto.so.3.6.*) linked=$((linked + 1)) ;;
        *) echo "FAIL: $exe does not load libmbedcrypto 3.6 from $libdir" ;;
    esac
done
[ "$linked" -eq 2 ]

make -C "$build" check
