#!/usr/bin/env bash
# Builds the C helpers of the interop tests and the UDP benchmark into build/interop/:
# coap_load (CoAP load generator), udp_sink (raw recvmmsg receiver), libmalloc_preload.so
# (the malloc counter as an LD_PRELOAD library), libfail_sync_preload.so (fdatasync fails on demand),
# dtls_flood (DTLS load generator on mbedTLS, when libmbedtls-dev is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=build/interop
mkdir -p "$OUT"
CC=${CC:-gcc}
$CC -O2 -Wall -Wextra -o "$OUT/coap_load" Tests/Interop/tools/coap_load.c
$CC -O2 -Wall -Wextra -o "$OUT/udp_sink" Tests/Interop/tools/udp_sink.c
$CC -O2 -Wall -shared -fPIC -ISources/CMallocCounter/include -o "$OUT/libmalloc_preload.so" \
    Sources/CMallocCounter/malloc_counter.c Tests/Interop/tools/malloc_preload.c
$CC -O2 -Wall -shared -fPIC -o "$OUT/libfail_sync_preload.so" Tests/Interop/tools/fail_sync_preload.c -ldl
if [ -f /usr/include/mbedtls/ssl.h ]; then
    $CC -O2 -Wall -Wextra -o "$OUT/dtls_flood" Tests/Interop/tools/dtls_flood.c -lmbedtls -lmbedx509 -lmbedcrypto
fi
