// A DTLS load client for the daemon's zero-allocation check over `coaps` (test_dtls.py):
//
//   dtls_load HOST PORT IDENTITY KEY-TEXT SESSIONS READINGS [PID]
//
// Opens SESSIONS DTLS 1.2 PSK sessions (mbedTLS client, TLS_PSK_WITH_AES_128_CCM_8) to the daemon,
// sends one CON reading on each and waits for its 2.04 (the sessions are up), then sends SIGUSR2 to
// PID (the preloaded malloc counter starts counting from zero: Tests/Interop/tools/malloc_preload.c),
// then READINGS CON readings per session, each waited for. The sessions stay open until the
// process exits, so the daemon's count covers records of sessions that are up only.
// Prints `sessions N`, `acked A of M`, or `error ...` (exit 1).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

// One CON POST /readings (SenML-JSON) and its ACK; 0 when the answer was 2.04.
static int post(session *s, uint16_t mid, int reading) {
    uint8_t m[256];
    int n = 0;
    m[n++] = 0x42; // CON, token length 2
    m[n++] = 0x02; // POST
    m[n++] = (uint8_t)(mid >> 8);
    m[n++] = (uint8_t)mid;
    m[n++] = (uint8_t)(mid >> 8) ^ 0x5A;
    m[n++] = (uint8_t)mid;
    m[n++] = 0xB8; // Uri-Path (11), 8 bytes
    memcpy(m + n, "readings", 8);
    n += 8;
    m[n++] = 0x11; // Content-Format (12), 1 byte
    m[n++] = 110;
    m[n++] = 0xFF;
    n += snprintf((char *)m + n, sizeof(m) - (size_t)n, "[{\"bn\":\"field-a-load/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":%d.5}]", reading % 40);
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

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: dtls_load HOST PORT IDENTITY KEY-TEXT SESSIONS READINGS [PID]\n");
        return 2;
    }
    int count = atoi(argv[5]), readings = atoi(argv[6]);
    pid_t pid = argc > 7 ? (pid_t)atoi(argv[7]) : 0;
    static const int suites[] = {MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0};
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, 0, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &to.sin_addr);
    session *sessions = calloc((size_t)count, sizeof(session));
    for (int i = 0; i < count; i++) {
        session *s = &sessions[i];
        s->fd = socket(AF_INET, SOCK_DGRAM, 0);
        connect(s->fd, (struct sockaddr *)&to, sizeof(to));
        mbedtls_ssl_init(&s->ssl);
        mbedtls_ssl_config_init(&s->conf);
        mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT);
        mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &drbg);
        mbedtls_ssl_conf_ciphersuites(&s->conf, suites);
        mbedtls_ssl_conf_psk(&s->conf, (const unsigned char *)argv[4], strlen(argv[4]), (const unsigned char *)argv[3], strlen(argv[3]));
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
            printf("error handshake %d: -0x%04x\n", i, (unsigned)-ret);
            return 1;
        }
        if (post(s, (uint16_t)(i * 1000), 0) != 0) {
            printf("error first reading of session %d not acknowledged\n", i);
            return 1;
        }
    }
    printf("sessions %d\n", count);
    fflush(stdout);
    if (pid > 0) {
        kill(pid, SIGUSR2);
        usleep(200000);
    }
    int acked = 0;
    for (int r = 1; r <= readings; r++) {
        for (int i = 0; i < count; i++) {
            if (post(&sessions[i], (uint16_t)(i * 1000 + r), r) == 0) acked++;
        }
    }
    printf("acked %d of %d\n", acked, readings * count);
    return acked == readings * count ? 0 : 1;
}
