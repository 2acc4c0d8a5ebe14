#!/usr/bin/env bash
# The libcoap interop checks (Tests/Interop/test_interop.py LibcoapTests, and coaps with
# coap-client-openssl from test_dtls.py) and the MQTT upstream to mosquitto (test_store_mqtt.py:
# a broker restart mid-stream over mqtt://, mutual TLS and a wrong CA over mqtts://) against a
# firmware binary,
# under qemu-user for the boards. Called by scripts/qemu-test.sh; usable alone:
#
#   scripts/interop-firmware.sh aarch64 medium     -> build/firmware/aarch64-medium/outpost
#
# The binary must exist (make firmware ARCH=... PROFILE=...). Exit 0 when every check passed.
# Log: build/interop/python-<arch>-<profile>.log
set -uo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:?usage: interop-firmware.sh ARCH PROFILE}
PROFILE=${2:?usage: interop-firmware.sh ARCH PROFILE}
binary="build/firmware/$ARCH-$PROFILE/outpost"
case "$ARCH" in
    aarch64) runner="qemu-aarch64-static -L /usr/aarch64-linux-gnu"; scale=4 ;;
    armv7) runner="qemu-arm-static -L /usr/arm-linux-gnueabihf"; scale=4 ;;
    x86_64) runner=""; scale=1 ;;
    *) echo "interop-firmware: unknown ARCH $ARCH" >&2; exit 2 ;;
esac
if [ ! -x "$binary" ]; then
    echo "interop-firmware: no binary $binary" >&2
    exit 1
fi
scripts/ensure-tools.sh peers venv tls >/dev/null || exit 1
mkdir -p build/interop
log="build/interop/python-$ARCH-$PROFILE.log"
# The MQTT upstream is not in the low profile's build; mqtts:// needs a profile with mbedTLS.
mqtt_tests=""
if [ "$PROFILE" != low ]; then
    mqtt_tests="test_store_mqtt.MQTTStoreTests.test_broker_restart_mid_stream_reconnects_within_seconds
        test_store_mqtt.MQTTTLSTests.test_mutual_tls test_store_mqtt.MQTTTLSTests.test_wrong_ca_is_refused_with_its_reason"
fi
status=0
(cd Tests/Interop && OUTPOST_BIN="$PWD/../../$binary" OUTPOST_RUNNER="$runner" OUTPOST_TIMEOUT_SCALE="$scale" \
    timeout 600 ../../build/venv/bin/python -W ignore::ResourceWarning -m unittest -v test_interop.LibcoapTests \
    test_interop.AiocoapTests test_dtls.DTLSDaemonTest test_dtls.DTLSStartupTest $mqtt_tests) > "$log" 2>&1 || status=$?
grep -E '^(FAIL|ERROR):|^Ran |^OK|^FAILED' "$log"
exit "$status"
