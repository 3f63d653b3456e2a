#!/usr/bin/env bash
# The service unit as built: systemd's own verdict on its hardening (exposure
# 2.0 or lower, the bar) and secrets passed as credentials, not in the
# environment. Usage: systemd_security.sh BUILT_SERVICE_FILE
set -euo pipefail
unit=$1
passed=0 failed=0
ok() { echo "ok: $1"; passed=$((passed + 1)); }
bad() { echo "FAIL: $1"; failed=$((failed + 1)); }

out=$(systemd-analyze security --offline=true "$unit" 2>&1) || true
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
    printf '%s\n' "$out"
    bad "systemd-analyze gave no exposure level"
elif awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    ok "exposure $score (at most 2.0)"
else
    printf '%s\n' "$out" | grep -v '✓' || true
    bad "exposure $score is above 2.0"
fi
grep -q '^LoadCredential=aws_secret_access_key:' "$unit" && ok "secret key via LoadCredential=" \
    || bad "no LoadCredential= for the secret key"
grep -q '^Environment=.*SECRET' "$unit" && bad "a secret in Environment=" || ok "no secret in Environment="
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
