// The mbedTLS DTLS 1.2 PSK client shared by the load tools (dtls_load.c, dtls_flood.c): one
// connected UDP socket per session, TLS_PSK_WITH_AES_128_CCM_8 (RFC 7925's mandatory suite), and
// a CON POST /readings that waits for its ACK.
//
// Header-only on purpose: each tool is one `gcc tool.c -lmbedtls -lmbedx509 -lmbedcrypto` away,
// as test_dtls.py and scripts/build-interop-tools.sh compile them.
#ifndef OUTPOST_DTLS_CLIENT_H
#define OUTPOST_DTLS_CLIENT_H

#include <arpa/inet.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

typedef struct session {
    int fd;
    int64_t timer_start, timer_int, timer_fin;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
} session;

static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int bio_send(void *c, const unsigned char *b, size_t n) {
    ssize_t r = send(((session *)c)->fd, b, n, 0);
    return r >= 0 ? (int)r : MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int bio_recv(void *c, unsigned char *b, size_t n) {
    ssize_t r = recv(((session *)c)->fd, b, n, MSG_DONTWAIT);
    return r >= 0 ? (int)r : MBEDTLS_ERR_SSL_WANT_READ;
}

static void timer_set(void *c, uint32_t i, uint32_t f) {
    session *s = c;
    s->timer_start = now_ms();
    s->timer_int = i;
    s->timer_fin = f;
}

static int timer_get(void *c) {
    session *s = c;
    if (s->timer_fin == 0) return -1;
    int64_t e = now_ms() - s->timer_start;
    return e >= s->timer_fin ? 2 : e >= s->timer_int ? 1 : 0;
}

static int wait_readable(int fd, int ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms);
}

// Seeds the random generator every session draws from; once per process.
static void dtls_client_start(void) {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, 0, 0);
}

// Connects `s` to `to` and runs the handshake with IDENTITY/KEY (the key as text, as the daemon's
// key file gives it in hex). 0 when the session is up; else prints `error ...` and returns -1.
static int session_open(session *s, const struct sockaddr_in *to, const char *identity, const char *key, int index) {
    static const int suites[] = {MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0};
    s->fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (s->fd < 0 || connect(s->fd, (const struct sockaddr *)to, sizeof(*to)) != 0) {
        printf("error socket\n");
        return -1;
    }
    mbedtls_ssl_init(&s->ssl);
    mbedtls_ssl_config_init(&s->conf);
    mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_ciphersuites(&s->conf, suites);
    mbedtls_ssl_conf_psk(&s->conf, (const unsigned char *)key, strlen(key), (const unsigned char *)identity, strlen(identity));
    mbedtls_ssl_setup(&s->ssl, &s->conf);
    mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, 0);
    mbedtls_ssl_set_timer_cb(&s->ssl, s, timer_set, timer_get);
    int64_t deadline = now_ms() + 15000;
    int ret;
    while ((ret = mbedtls_ssl_handshake(&s->ssl)) == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        if (now_ms() > deadline) break;
        wait_readable(s->fd, 50);
    }
    if (ret != 0) {
        printf("error handshake %d: -0x%04x\n", index, (unsigned)-ret);
        return -1;
    }
    return 0;
}

// Sends the CON message `m` (n bytes, message id `mid`) and waits up to 5 s for its ACK: 0 when
// the answer was 2.04, negative otherwise (-1 write failed, -2 other code, -3 read error, -4 timeout).
static int exchange(session *s, const uint8_t *m, int n, uint16_t mid) {
    if (mbedtls_ssl_write(&s->ssl, m, (size_t)n) != n) return -1;
    int64_t deadline = now_ms() + 5000;
    while (now_ms() < deadline) {
        uint8_t answer[512];
        int r = mbedtls_ssl_read(&s->ssl, answer, sizeof(answer));
        if (r >= 4) {
            if ((answer[0] >> 4) == 6 && answer[2] == (uint8_t)(mid >> 8) && answer[3] == (uint8_t)mid) return answer[1] == 0x44 ? 0 : -2;
            continue;
        }
        if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_TIMEOUT) return -3;
        wait_readable(s->fd, 50);
    }
    return -4;
}

#endif
