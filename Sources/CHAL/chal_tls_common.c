// What the TLS client and the DTLS server share: the random generator and error text.
#include "chal.h"
#include "chal_tls_internal.h"

#ifdef CHAL_WITH_MBEDTLS
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <stdio.h>
#include <string.h>

static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static int drbg_state; // 0 not tried, 1 ready, -1 failed

mbedtls_ctr_drbg_context *chal_tls_drbg(void) {
    if (drbg_state == 0) {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        // The personalisation string only separates this generator from others seeded alike.
        static const unsigned char personal[] = "outpost-chal-tls";
        int ret = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, personal, sizeof(personal) - 1);
        drbg_state = ret == 0 ? 1 : -1;
    }
    return drbg_state == 1 ? &drbg : 0;
}

void chal_tls_describe(char *out, size_t capacity, const char *prefix, int code) {
    char text[128];
    mbedtls_strerror(code, text, sizeof(text));
    snprintf(out, capacity, "%s: %s (-0x%04x)", prefix, text, (unsigned)(code < 0 ? -code : code));
}

int64_t chal_tls_now_ms(void) { return chal_monotonic_ns() / 1000000; }

int32_t chal_tls_available(void) { return 1; }
#else
int32_t chal_tls_available(void) { return 0; }
#endif
