#!/usr/bin/env bash
# scripts/lib/deps.sh on a machine whose python3 has no moto (a fresh Debian's):
# ensure_deps makes a virtual environment in $XDG_CACHE_HOME/s3mpu/venv, installs
# moto[server] and boto3 there with the venv's own pip, puts its bin/ first on
# PATH, never runs the system python3's pip, and reuses the venv next time.
# Without python3-venv (Debian's python3 then cannot make venvs) it installs that
# package with apt first.
# What stands in: python3 is this machine's interpreter run with -S (no
# site-packages, so no moto), whose "-m venv" fails as Debian's does until
# python3-venv is "installed" (a marker file); PyPI, out of reach here, is a
# directory of small wheels named moto (with a moto_server command) and boto3,
# given to pip as PIP_NO_INDEX/PIP_FIND_LINKS; apt is a function that records
# its arguments and installs only python3-venv (it makes the marker).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "ok: $1"; passed=$((passed + 1)); }
bad() { echo "FAIL: $1"; failed=$((failed + 1)); }

real=$(python3 -c 'import sys; print(sys.executable)')
mkdir -p "$tmp/bin" "$tmp/wheels"
cat > "$tmp/bin/python3" <<EOF
#!/bin/sh
echo "\$*" >> "$tmp/python3.log"
if [ "\$1 \$2" = "-m venv" ] && [ ! -e "$tmp/python3-venv" ]; then
    mkdir -p "\$3"
    echo "The virtual environment was not created successfully because ensurepip is not available." >&2
    exit 1
fi
exec "$real" -S "\$@"
EOF
for pip in pip pip3; do
    printf '#!/bin/sh\necho "%s $*" >> "%s/pip.log"\nexit 1\n' "$pip" "$tmp" > "$tmp/bin/$pip"
done
chmod +x "$tmp"/bin/*
touch "$tmp/python3.log" "$tmp/pip.log" "$tmp/apt.log"

"$real" - "$tmp/wheels" <<'EOF'
import os, sys, zipfile

def wheel(name, files, extra_meta="", entry_points=None):
    info = "%s-0.0.1.dist-info" % name
    files = dict(files)
    files[info + "/METADATA"] = "Metadata-Version: 2.1\nName: %s\nVersion: 0.0.1\n%s" % (name, extra_meta)
    files[info + "/WHEEL"] = "Wheel-Version: 1.0\nGenerator: s3mpu-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    if entry_points:
        files[info + "/entry_points.txt"] = entry_points
    files[info + "/RECORD"] = "".join("%s,,\n" % n for n in files) + info + "/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(sys.argv[1], "%s-0.0.1-py3-none-any.whl" % name), "w") as z:
        for n, text in files.items():
            z.writestr(n, text)

wheel("moto", {"moto/__init__.py": "", "moto/server.py": "def main():\n    print('moto_server stand-in')\n"},
      "Provides-Extra: server\n", "[console_scripts]\nmoto_server = moto.server:main\n")
wheel("boto3", {"boto3/__init__.py": ""})
EOF

run() {
    # a new shell each time, as scripts/check and scripts/up source deps.sh
    env PATH="$tmp/bin:$PATH" XDG_CACHE_HOME="$tmp/cache" PIP_NO_INDEX=1 \
        PIP_FIND_LINKS="$tmp/wheels" PIP_DISABLE_PIP_VERSION_CHECK=1 bash -c '
        set -euo pipefail
        . "$1/scripts/lib/deps.sh"
        tmp=$2
        _s3mpu_apt() {
            echo "$*" >> "$tmp/apt.log"
            [ "$*" = python3-venv ] && touch "$tmp/python3-venv"
        }
        ensure_deps
        echo "python3=$(command -v python3)"
        echo "moto_server=$(command -v moto_server)"
        echo "moto=$(python3 -c "import moto; print(moto.__file__)")"
        echo "says=$(moto_server)"' _ "$top" "$tmp"
}
field() { sed -n "s/^$1=//p" <<<"$2"; }

venv=$tmp/cache/s3mpu/venv
touch "$tmp/python3-venv"
if out=$(run 2>"$tmp/err1"); then ok "ensure_deps succeeds with a python3 that has no moto"; else
    cat "$tmp/err1"; bad "ensure_deps failed"; fi
[ -x "$venv/bin/python3" ] && ok "a venv in \$XDG_CACHE_HOME/s3mpu/venv" || bad "no venv in $venv"
[ "$(field python3 "$out")" = "$venv/bin/python3" ] && ok "python3 on PATH is the venv's" ||
    bad "python3 on PATH: $(field python3 "$out")"
[ "$(field moto_server "$out")" = "$venv/bin/moto_server" ] && ok "moto_server on PATH is the venv's" ||
    bad "moto_server on PATH: $(field moto_server "$out")"
case "$(field moto "$out")" in
    "$venv"/lib/python3*/site-packages/moto/__init__.py) ok "moto installed in the venv by its pip" ;;
    *) bad "moto imported from: $(field moto "$out")" ;;
esac
[ "$(field says "$out")" = "moto_server stand-in" ] && ok "the venv's moto_server runs" ||
    bad "moto_server said: $(field says "$out")"
grep -q -- "-m venv $venv\$" "$tmp/python3.log" && ok "the system python3 made the venv" ||
    bad "no 'python3 -m venv $venv'"
if grep -q -- "-m pip" "$tmp/python3.log" || [ -s "$tmp/pip.log" ]; then
    bad "the system pip ran: $(grep -h pip "$tmp/python3.log" "$tmp/pip.log" | head -n 3)"
else
    ok "the system pip never ran"
fi

# a second run: the venv is found and used as it is
if out=$(run 2>"$tmp/err2"); then ok "a second ensure_deps succeeds"; else
    cat "$tmp/err2"; bad "the second ensure_deps failed"; fi
[ "$(grep -c -- "-m venv" "$tmp/python3.log")" -eq 1 ] && ! grep -q "installing moto" "$tmp/err2" &&
    ok "the second run reuses the venv" || bad "the second run made the venv again"
[ "$(field moto_server "$out")" = "$venv/bin/moto_server" ] && ok "and puts it on PATH" ||
    bad "second run's moto_server: $(field moto_server "$out")"

# python3 without python3-venv: apt installs it, then the venv is made
rm -rf "$tmp/cache" "$tmp/python3-venv"
: > "$tmp/python3.log"
if out=$(run 2>"$tmp/err3"); then ok "ensure_deps succeeds where python3 -m venv fails at first"; else
    cat "$tmp/err3"; bad "ensure_deps failed without python3-venv"; fi
grep -qx python3-venv "$tmp/apt.log" && ok "python3-venv installed with apt" || bad "apt was not asked for python3-venv"
[ "$(grep -c -- "-m venv $venv\$" "$tmp/python3.log")" -eq 2 ] && ok "the venv made after it" ||
    bad "python3 -m venv runs: $(grep -c -- "-m venv" "$tmp/python3.log")"
[ "$(field moto_server "$out")" = "$venv/bin/moto_server" ] && ok "its moto_server on PATH" ||
    bad "moto_server on PATH: $(field moto_server "$out")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
