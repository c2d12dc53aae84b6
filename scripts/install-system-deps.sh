#!/usr/bin/env bash
# Installs Debian packages the project needs, only where missing: python, chromium, postgresql, wrk.
set -euo pipefail

need=()
for want in "$@"; do
  case "$want" in
    python) python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3 python3-venv python3-pip) ;;
    chromium) [ -x /usr/bin/chromium ] || need+=(chromium) ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql) ;;
    wrk) command -v wrk >/dev/null || need+=(wrk) ;;
    *) echo "unknown dependency: $want" >&2; exit 2 ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
