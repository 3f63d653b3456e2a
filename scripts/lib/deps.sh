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

ensure_deps() {
    local missing=() pkg
    for pkg in $S3MPU_DEBS "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        _s3mpu_apt "${missing[@]}"
    fi
    # boto3 is in Debian (it helps only a Debian python3); moto is not, only on PyPI
    if ! python3 -c 'import boto3' 2>/dev/null; then
        _s3mpu_apt python3-boto3 || true
    fi
    if ! python3 -c 'import moto, boto3' 2>/dev/null; then
        echo "==> moto (the S3 emulator) is needed: trying pip install 'moto[server]' boto3" >&2
        python3 -m pip install -q 'moto[server]' boto3 || {
            echo "could not install moto: run  pip install 'moto[server]' boto3  and try again" >&2
            return 1
        }
    fi
    command -v moto_server >/dev/null || { echo "moto_server is not on PATH" >&2; return 1; }
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
