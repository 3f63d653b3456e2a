# Installs what s3mpu's scripts need on Debian, only when something is missing.
# Usage: . scripts/lib/deps.sh; ensure_deps [extra Debian packages...]

S3MPU_DEBS="build-essential autoconf automake libtool pkg-config libfcgi-dev spawn-fcgi
libcurl4-openssl-dev libmbedtls-dev libjson-c-dev libexpat1-dev nginx curl"

_s3mpu_apt() {
    echo "==> installing $*"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

_s3mpu_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

ensure_deps() {
    local missing=() pkg
    for pkg in $S3MPU_DEBS "$@"; do
        _s3mpu_installed "$pkg" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        _s3mpu_apt "${missing[@]}"
    fi
    ensure_moto
}

# moto_server and boto3 for the tests' python3. Debian 13 packages moto (Debian 12
# does not), but apt's packages help only Debian's python3. Otherwise a virtual
# environment in the user's cache gets them from PyPI through its own pip (Debian
# refuses the system pip: PEP 668), and its bin/ goes first on PATH so that the
# scripts' python3 and moto_server are the venv's.
_s3mpu_has_moto() {
    python3 -c 'import boto3, moto.server' 2>/dev/null && command -v moto_server >/dev/null
}

ensure_moto() {
    local venv=${XDG_CACHE_HOME:-$HOME/.cache}/s3mpu/venv
    _s3mpu_has_moto && return 0
    if [ -x "$venv/bin/python3" ] && "$venv/bin/python3" -c 'import boto3, moto.server' 2>/dev/null; then
        export PATH="$venv/bin:$PATH"
        return 0
    fi
    if ! _s3mpu_installed python3-moto && apt-cache show python3-moto >/dev/null 2>&1; then
        _s3mpu_apt python3-moto python3-flask-cors python3-boto3 || true
        _s3mpu_has_moto && return 0
    fi
    echo "==> moto (the S3 emulator): installing moto[server] and boto3 into $venv" >&2
    rm -rf "$venv"
    # Debian's python3 makes venvs only with python3-venv (its ensurepip)
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        _s3mpu_apt python3-venv && python3 -m venv "$venv" || {
            echo "could not create a virtual environment with python3 -m venv" >&2
            return 1
        }
    fi
    "$venv/bin/python3" -m pip install -q 'moto[server]' boto3 || {
        echo "could not install moto: run  $venv/bin/python3 -m pip install 'moto[server]' boto3" \
            " and try again" >&2
        return 1
    }
    export PATH="$venv/bin:$PATH"
    _s3mpu_has_moto || { echo "moto_server is not usable from $venv" >&2; return 1; }
}

# Chromium from Debian (never a downloaded browser) and playwright-core from npm.
ensure_browser_deps() {
    local want=()
    [ -x /usr/bin/chromium ] || want+=(chromium)
    command -v node >/dev/null || want+=(nodejs)
    command -v npm >/dev/null || want+=(npm)
    if [ "${#want[@]}" -gt 0 ]; then
        ensure_deps "${want[@]}"
    fi
    if [ ! -d node_modules/playwright-core ]; then
        echo "==> npm ci (playwright-core)"
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
    fi
}
