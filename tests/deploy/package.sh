#!/usr/bin/env bash
# The Debian package end to end: builds s3mpu_<version>_<arch>.deb with
# dpkg-buildpackage -b -us -uc from the `make dist` tarball (unpacked under
# build/package, so the source tree is left as it was), runs lintian on it (no
# error allowed; its output printed), installs it with dpkg -i, checks what it
# installed and that nothing was started or enabled but the socket, runs an upload
# through /usr/bin/s3mpu and a copy of the installed nginx site against the local
# S3 (tests/deploy/package_upload.py), then dpkg --purge and checks that nothing is
# left. Needs root (dpkg -i); installs what it needs with apt-get, as
# scripts/lib/deps.sh does. Prints each phase's time.
# Usage: tests/deploy/package.sh   (after autoreconf -fi)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$top/build/package
cd "$top"
. scripts/lib/deps.sh

timings=()
phase() { # name, command...: runs and times a phase
    local name=$1 start=$SECONDS
    shift
    echo "==> $name"
    "$@"
    timings+=("$(printf '%-28s %4d s' "$name" $((SECONDS - start)))")
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Dependencies as dpkg prints them ("a | b (<< 2), c (>= 1) <!nocheck>", commas
# optional) -> for each, its first alternative that is installed or that apt knows.
first_alternatives() {
    local item alt
    sed 's/([^)]*)//g; s/<[^>]*>//g; s/\[[^]]*\]//g; s/:any//g; s/,/ /g; s/ *| */|/g' |
        tr -s ' ' '\n' | while read -r item; do
        [ -n "$item" ] || continue
        IFS='|' read -ra alts <<< "$item"
        for alt in "${alts[@]}"; do
            if _s3mpu_installed "$alt" || apt-cache show "$alt" >/dev/null 2>&1; then
                echo "$alt"
                break
            fi
        done
    done
}

deps() {
    ensure_deps dpkg-dev debhelper lintian fakeroot
    # what debian/control's Build-Depends names and this machine lacks
    local unmet
    unmet=$(dpkg-checkbuilddeps 2>&1 | sed -n 's/.*Unmet build dependencies: //p' | first_alternatives)
    if [ -n "$unmet" ]; then
        # shellcheck disable=SC2086 # one word per package
        ensure_deps $unmet
    fi
    dpkg-checkbuilddeps
}

tree_state() { # the source tree's files as git sees them (none of build/)
    git -C "$top" status --porcelain=v1 --untracked-files=all 2>/dev/null || true
}

dist() {
    rm -rf "$work"
    mkdir -p "$work/dist" "$work/deb"
    [ -x configure ] || autoreconf -fi
    (cd "$work/dist" && "$top/configure" -q && make -s dist)
    tar -C "$work/deb" -xzf "$work"/dist/s3mpu-*.tar.gz
    echo "unpacked $(basename "$work"/dist/s3mpu-*.tar.gz) into $work/deb"
}

build() {
    local src
    src=$(echo "$work"/deb/s3mpu-*/)
    (cd "$src" && dpkg-buildpackage -b -us -uc) > "$work/dpkg-buildpackage.log" 2>&1 || {
        tail -n 80 "$work/dpkg-buildpackage.log"
        return 1
    }
    grep -E '^# (TOTAL|PASS|FAIL|ERROR|SKIP):' "$work/dpkg-buildpackage.log" | sed 's/^/make check in the build: /'
    deb=$(echo "$work"/deb/s3mpu_*_*.deb)
    changes=$(echo "$work"/deb/s3mpu_*_*.changes)
    [ -f "$deb" ] || fail "no s3mpu_<version>_<arch>.deb"
    echo "built $(basename "$deb")"
}

run_lintian() {
    local out rc=0
    # --fail-on error: warnings and infos are printed, not fatal
    out=$(lintian --fail-on error --display-info --pedantic --show-overrides --tag-display-limit 0 \
        "$changes" 2>&1) || rc=$?
    echo "--- lintian output (${#out} bytes) ---"
    echo "${out:-(no tags)}"
    echo "--- end of lintian output ---"
    echo "lintian: $(grep -c '^E: ' <<< "$out" || true) errors, $(grep -c '^W: ' <<< "$out" || true) warnings"
    return "$rc"
}

s3mpu_processes() { # pids running the installed binary
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = /usr/bin/s3mpu ] && echo "${p#/proc/}"
    done
    return 0
}

# what the package must hold; systemd.pc (which says where units go) is one of the
# dependencies, so this is worked out after they are installed
expect_paths() {
    unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
    expected=(/usr/bin/s3mpu /etc/s3mpu/s3mpu.conf /etc/nginx/sites-available/s3mpu
        /usr/share/s3mpu/www/index.html /usr/share/s3mpu/www/uploader.js
        "$unitdir/s3mpu.service" "$unitdir/s3mpu.socket"
        /usr/share/man/man1/s3mpu.1.gz /usr/share/man/man5/s3mpu.conf.5.gz
        /usr/share/doc/s3mpu/copyright /usr/share/doc/s3mpu/changelog.gz)
    # what the package and its maintainer scripts may create besides its files
    extras=(/etc/s3mpu /etc/s3mpu/credentials /usr/share/s3mpu /usr/share/doc/s3mpu
        /etc/systemd/system/sockets.target.wants/s3mpu.socket
        /etc/systemd/system/multi-user.target.wants/s3mpu.service
        /var/lib/systemd/deb-systemd-helper-enabled/s3mpu.socket.dsh-also
        /var/lib/systemd/deb-systemd-helper-enabled/s3mpu.service.dsh-also
        /var/lib/systemd/deb-systemd-helper-enabled/sockets.target.wants/s3mpu.socket)
}

install_package() {
    # its runtime dependencies first, as ensure_deps installs anything
    local depends
    depends=$(dpkg-deb -f "$deb" Depends | first_alternatives)
    # shellcheck disable=SC2086 # one word per package
    ensure_deps $depends
    if _s3mpu_installed s3mpu; then
        echo "(purging an s3mpu package left installed)"
        dpkg --purge s3mpu
    fi
    s3mpu_processes > "$work/pids.before"
    dpkg -i "$deb"
    echo "--- dpkg -L s3mpu ---"
    dpkg -L s3mpu | tee "$work/installed.list"
    echo "--- end ---"
    local f
    for f in "${expected[@]}"; do
        grep -qxF "$f" "$work/installed.list" || fail "$f is not in the package"
        [ -e "$f" ] || fail "$f was not installed"
    done
    for f in /etc/s3mpu/s3mpu.conf /etc/nginx/sites-available/s3mpu; do
        dpkg-query -W -f='${Conffiles}\n' s3mpu | grep -q "^ $f " || fail "$f is not a conffile"
    done
    [ ! -e /etc/nginx/sites-enabled/s3mpu ] || fail "the nginx site was enabled"
    [ "$(stat -c %a /etc/s3mpu/credentials)" = 700 ] || fail "/etc/s3mpu/credentials is not 0700"
    [ -L /etc/systemd/system/sockets.target.wants/s3mpu.socket ] || fail "s3mpu.socket is not enabled"
    [ ! -e /etc/systemd/system/multi-user.target.wants/s3mpu.service ] || fail "s3mpu.service was enabled"
    s3mpu_processes > "$work/pids.after"
    cmp -s "$work/pids.before" "$work/pids.after" || fail "installing started /usr/bin/s3mpu"
    [ -d /run/systemd/system ] || echo "(no systemd running here: deb-systemd-invoke started nothing; the socket is enabled for the next boot)"
    man -w s3mpu >/dev/null && man -w s3mpu.conf >/dev/null || fail "man cannot find s3mpu(1) or s3mpu.conf(5)"
    # the shipped settings parse (presign needs no S3)
    AWS_ACCESS_KEY_ID=AKIDPACKAGE AWS_SECRET_ACCESS_KEY=package-check HOME=/nonexistent \
        /usr/bin/s3mpu presign -c /etc/s3mpu/s3mpu.conf --bucket uploads --key k \
        --date 20261125T083000Z > /dev/null || fail "the installed /etc/s3mpu/s3mpu.conf does not load"
    echo "installed: $(wc -l < "$work/installed.list") paths, conffiles, socket enabled, nothing started"
}

upload() {
    S3MPU_BIN=/usr/bin/s3mpu S3MPU_SITE=/etc/nginx/sites-available/s3mpu \
        python3 tests/deploy/package_upload.py
}

purge() {
    # an administrator's secret, which purging must take along
    printf 'AKIDPACKAGE' > /etc/s3mpu/credentials/aws_access_key_id
    dpkg --purge s3mpu
    local left=() f
    while read -r f; do
        [ "$f" = /. ] && continue
        # directories other packages share (/etc/nginx, /usr/share/man/man1, ...) stay
        if [ -e "$f" ] && ! [ -d "$f" ]; then
            left+=("$f")
        fi
    done < "$work/installed.list"
    for f in "${extras[@]}"; do
        [ -e "$f" ] || [ -L "$f" ] && left+=("$f")
    done
    # any unit link or deb-systemd-helper state, whatever its name
    while read -r f; do
        left+=("$f")
    done < <(find /etc/systemd /var/lib/systemd -name '*s3mpu*' 2>/dev/null)
    if [ "${#left[@]}" -gt 0 ]; then
        printf 'left after dpkg --purge: %s\n' "${left[@]}"
        return 1
    fi
    ! _s3mpu_installed s3mpu || fail "dpkg still lists s3mpu"
    echo "purged: none of the $(wc -l < "$work/installed.list") paths nor the enable links, state files, /etc/s3mpu is left"
}

[ "$(id -u)" -eq 0 ] || fail "run as root (dpkg -i)"
before=$(tree_state)
phase "dependencies" deps
expect_paths
phase "make dist" dist
phase "dpkg-buildpackage -b -us -uc" build
[ "$(tree_state)" = "$before" ] || fail "building the package changed the source tree"
phase "lintian" run_lintian
phase "dpkg -i" install_package
phase "upload through the package" upload
phase "dpkg --purge" purge
echo "--- timings ---"
printf '%s\n' "${timings[@]}"
