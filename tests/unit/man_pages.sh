#!/bin/sh
# Renders the man pages built for this prefix (man/ in the build directory) as
# lintian does: groff and man-db must not warn, and the text must have the pages'
# sections. Then the same pages made for an install prefix longer than a line
# (distcheck's can be), with the build's own man/breakpoints.sed: they must not
# warn either. Skipped (77) when man-db or groff is not installed.
set -u
for tool in man groff; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed (Debian: man-db groff-base)"
        exit 77
    fi
done
rc=0 passed=0 failed=0
check() { # page, sections it must show
    page=$1
    shift
    warnings=$( { groff -ww -z -man -Tutf8 "$page" 2>&1 >/dev/null;
                  LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null; } )
    text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null)
    ok=1
    if [ -n "$warnings" ]; then
        echo "FAIL: $page: warnings:"
        echo "$warnings"
        ok=0
    fi
    for section in "$@"; do
        if ! printf '%s\n' "$text" | grep -q "^$section\$"; then
            echo "FAIL: $page: no $section section in man -l's output"
            ok=0
        fi
    done
    if printf '%s\n' "$text" | grep -q '@[a-zA-Z]*@'; then
        echo "FAIL: $page: an @...@ left unsubstituted"
        ok=0
    fi
    if [ "$ok" = 1 ]; then
        echo "ok: $page renders without warnings ($(printf '%s\n' "$text" | wc -l) lines)"
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        rc=1
    fi
}
check_both() { # built page, its source, sections
    built=$1 source=$2
    shift 2
    check "$built" "$@"
    long=$tmp/$(basename "$built")
    sed -e "s#@\(sysconfdir\|bindir\|systemdunitdir\|nginxsite\|WWWROOT\)@#$long_prefix#g" \
        -e 's|@[A-Za-z_]*@|x|g' -f "${srcdir:-.}/man/breakpoints.sed" "$source" > "$long"
    check "$long" "$@"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
long_prefix=/opt$(printf '/0123456789%.0s' 1 2 3 4 5 6 7 8)/etc  # digits: groff hyphenates none
check_both man/s3mpu.1 "${srcdir:-.}/man/s3mpu.1.in" \
    NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"
check_both man/s3mpu.conf.5 "${srcdir:-.}/man/s3mpu.conf.5.in" \
    NAME SYNOPSIS DESCRIPTION SETTINGS CREDENTIALS FILES EXAMPLES "SEE ALSO"
echo "$passed passed, $failed failed"
exit $rc
