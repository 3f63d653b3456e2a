# Installs what s3mpu's scripts need on Debian, only when something is missing.
# Usage: . scripts/lib/deps.sh; ensure_deps [extra Debian packages...]

S3MPU_DEBS="build-essential autoconf automake pkg-config libfcgi-dev spawn-fcgi
libcurl4-openssl-dev libmbedtls-dev libjson-c-dev libexpat1-dev nginx curl"

ensure_deps() {
    local missing=() pkg
    for pkg in $S3MPU_DEBS "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "==> installing ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
    if ! python3 -c 'import moto, boto3, botocore' 2>/dev/null; then
        echo "==> moto and boto3 are needed (the S3 emulator and the signature reference);" >&2
        echo "    trying pip: pip install 'moto[server]' boto3" >&2
        python3 -m pip install -q 'moto[server]' boto3 ||
            { echo "could not install moto; install it and run again" >&2; return 1; }
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
