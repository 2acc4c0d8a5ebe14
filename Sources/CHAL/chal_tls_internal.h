// Shared by chal_tls.c and chal_dtls.c (not part of CHAL's interface).
#ifndef CHAL_TLS_INTERNAL_H
#define CHAL_TLS_INTERNAL_H
#ifdef CHAL_WITH_MBEDTLS
#include <mbedtls/ctr_drbg.h>
#include <stddef.h>
#include <stdint.h>

/// The process's one DRBG, seeded from the kernel on first use (both TLS and DTLS draw from it).
/// NULL when seeding failed.
mbedtls_ctr_drbg_context *chal_tls_drbg(void);
/// Writes "PREFIX: mbedTLS's text for `code` (-0xNNNN)" into `out` (NUL-terminated).
void chal_tls_describe(char *out, size_t capacity, const char *prefix, int code);
/// Milliseconds of the monotonic clock.
int64_t chal_tls_now_ms(void);
#endif
#endif
