#!/usr/bin/env bash
# Makes sure the tools the build and the tests need are installed (Debian 12 package names).
#
# Usage: scripts/ensure-tools.sh [GROUP...]
#   groups: cross (cross gcc + binutils for aarch64 and armv7), qemu (qemu-user), peers (libcoap3-bin,
#   socat, mosquitto and its clients: the real CoAP, serial and MQTT peers of the integration tests),
#   make, venv (python3-venv, then build/venv with aiocoap, cbor2, paho-mqtt, scikit-learn and joblib from PyPI for the
#   interop tests), tls (mbedTLS for the host and,
#   through Debian multiarch, for the aarch64 and armv7 firmware; openssl for the tests' certificates;
#   libcoap3-bin's coap-client-openssl, the DTLS peer), browser (headless chromium: renders the report
#   page and the dashboard to a screenshot), deb (dpkg-deb, systemd-analyze: the board packages and the
#   unit file check), operator (prometheus and promtool: the HTTP process test has a real Prometheus
#   scrape the daemon and lints /metrics). No group = all but make/venv/browser/deb/operator.
#
# When a tool is missing and we run as root, the packages are installed with apt-get (CI runs on a
# fresh Debian 12 machine that has only the Swift toolchain, gcc and python3). Otherwise the script
# stops and names the packages to install, so a developer machine is never changed behind its
# owner's back. OUTPOST_NO_INSTALL=1 forces the message path even as root.
set -euo pipefail

# command:package pairs per group (a "command" starting with / is a file that must exist). The -L sysroots that qemu-user needs (/usr/aarch64-linux-gnu,
# /usr/arm-linux-gnueabihf) come with the cross gcc packages (libc6-*-cross).
group_tools() {
    case "$1" in
        cross)
            echo "aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu"
            echo "aarch64-linux-gnu-nm:binutils-aarch64-linux-gnu"
            # The C library for linking is only a Recommends of the cross gcc: name it.
            echo "/usr/aarch64-linux-gnu/lib/libc.so:libc6-dev-arm64-cross"
            echo "arm-linux-gnueabihf-gcc:gcc-arm-linux-gnueabihf"
            echo "arm-linux-gnueabihf-nm:binutils-arm-linux-gnueabihf"
            echo "/usr/arm-linux-gnueabihf/lib/libc.so:libc6-dev-armhf-cross"
            echo "gcc:gcc"
            echo "nm:binutils"
            ;;
        qemu)
            echo "qemu-aarch64-static:qemu-user-static"
            echo "qemu-arm-static:qemu-user-static"
            ;;
        peers)
            echo "coap-client-notls:libcoap3-bin"
            echo "coap-server-notls:libcoap3-bin"
            echo "socat:socat"
            # The MQTT broker and its command-line clients (the MQTT upstream's process tests).
            echo "/usr/sbin/mosquitto:mosquitto"
            echo "mosquitto_pub:mosquitto-clients"
            echo "mosquitto_sub:mosquitto-clients"
            ;;
        venv)
            # `python3 -m venv` needs ensurepip, which Debian ships in python3-venv.
            echo "@ensurepip:python3-venv"
            ;;
        make)
            echo "make:make"
            ;;
        browser)
            echo "chromium:chromium"
            ;;
        deb)
            echo "dpkg-deb:dpkg"
            echo "systemd-analyze:systemd"
            echo "gzip:gzip"
            ;;
        tls)
            # The static libraries are what the firmware links (Makefile, TLS_LIBS_<arch>); the
            # :arm64 and :armhf packages need those architectures added to dpkg (done below).
            echo "/usr/lib/x86_64-linux-gnu/libmbedtls.a:libmbedtls-dev"
            echo "/usr/lib/aarch64-linux-gnu/libmbedtls.a:libmbedtls-dev:arm64"
            echo "/usr/lib/arm-linux-gnueabihf/libmbedtls.a:libmbedtls-dev:armhf"
            echo "openssl:openssl"
            echo "coap-client-openssl:libcoap3-bin"
            ;;
        operator)
            echo "prometheus:prometheus"
            echo "promtool:prometheus"
            ;;
    esac
}

# True when the command is on PATH (or, for an absolute path, the file exists).
have() {
    case "$1" in
        @ensurepip) python3 -c 'import ensurepip' >/dev/null 2>&1 ;;
        /*) [ -e "$1" ] ;;
        *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}

groups=("$@")
if [ ${#groups[@]} -eq 0 ]; then
    groups=(cross qemu peers tls)
fi

for group in "${groups[@]}"; do
    case "$group" in
        cross | qemu | peers | make | venv | tls | browser | deb | operator) ;;
        *)
            echo "ensure-tools: unknown group '$group' (cross, qemu, peers, make, venv, tls, browser, deb, operator)" >&2
            exit 2
            ;;
    esac
done

missing_tools=()
missing_packages=()
for group in "${groups[@]}"; do
    while IFS=: read -r tool package; do
        if ! have "$tool"; then
            missing_tools+=("$tool")
            # Several tools share a package: name each package once.
            case " ${missing_packages[*]-} " in
                *" $package "*) ;;
                *) missing_packages+=("$package") ;;
            esac
        fi
    done < <(group_tools "$group")
done

# The venv group also needs build/venv (aiocoap, cbor2 from PyPI); made after the apt packages.
ensure_venv() {
    case " ${groups[*]} " in *" venv "*) ;; *) return 0 ;; esac
    local venv build_dir
    build_dir="$(cd "$(dirname "$0")/.." && pwd)/build"
    venv="$build_dir/venv"
    if "$venv/bin/python" -c 'import aiocoap, cbor2, paho.mqtt, sklearn, joblib' >/dev/null 2>&1; then return 0; fi
    echo "ensure-tools: creating $venv (aiocoap, cbor2, paho-mqtt, scikit-learn, joblib from PyPI)"
    mkdir -p "$build_dir"
    rm -rf "$venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check aiocoap cbor2 paho-mqtt scikit-learn joblib \
        && "$venv/bin/python" -c 'import aiocoap, cbor2, paho.mqtt, sklearn, joblib' || { echo "ensure-tools: could not make $venv" >&2; exit 1; }
}

if [ ${#missing_tools[@]} -eq 0 ]; then
    ensure_venv
    echo "ensure-tools: ok (${groups[*]})"
    exit 0
fi

echo "ensure-tools: missing ${missing_tools[*]}" >&2
if [ "$(id -u)" -ne 0 ] || [ "${OUTPOST_NO_INSTALL:-0}" = "1" ] || ! command -v apt-get >/dev/null 2>&1; then
    case " ${missing_packages[*]} " in
        *:arm64* | *:armhf*) echo "ensure-tools: first: sudo dpkg --add-architecture arm64 && sudo dpkg --add-architecture armhf" >&2 ;;
    esac
    echo "ensure-tools: install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing_packages[*]}" >&2
    exit 1
fi

echo "ensure-tools: installing ${missing_packages[*]}"
export DEBIAN_FRONTEND=noninteractive
# Multiarch packages (name:arch) install only once dpkg knows their architecture.
for package in "${missing_packages[@]}"; do
    case "$package" in
        *:*)
            arch="${package##*:}"
            dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
            ;;
    esac
done
apt-get update
apt-get install -y --no-install-recommends "${missing_packages[@]}"

# Trust nothing: the packages must have brought the tools.
still_missing=()
for tool in "${missing_tools[@]}"; do
    have "$tool" || still_missing+=("$tool")
done
if [ ${#still_missing[@]} -ne 0 ]; then
    echo "ensure-tools: still missing after install: ${still_missing[*]}" >&2
    exit 1
fi
ensure_venv
echo "ensure-tools: ok (${groups[*]})"
