// The DTLS load generator of `make bench` (scripts/bench-dtls.sh):
//
//   dtls_flood HOST PORT IDENTITY KEY-TEXT SESSIONS SECONDS flood|hold
//
// Opens SESSIONS DTLS 1.2 PSK sessions (mbedTLS client, TLS_PSK_WITH_AES_128_CCM_8) to the daemon
// and sends one CON reading on each, waited for (the sessions are up), then prints `sessions N`.
// `flood`: for SECONDS, NON single readings (the same SenML-JSON message as coap_load's `single`
// flood, sensors rotating over 64 names `load-NN`) as fast as the sessions take them, round robin
// over the sessions, one record per datagram; the daemon's answers are read and dropped
// undecrypted. Prints `sent N` and `seconds S`. `hold`: keeps the sessions open for SECONDS (a
// reading on each every 5 s), for the daemon's resident memory with every session up. Both end
// with a close_notify on every session.
// Errors: `error ...` on standard output, exit 1.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SENSORS 64

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

// A POST /readings (SenML-JSON, one reading of sensor load-NN), CON or NON.
static int message(uint8_t *m, int confirmable, uint16_t mid, unsigned sequence) {
    int n = 0;
    m[n++] = confirmable ? 0x42 : 0x52; // CON or NON, token length 2
    m[n++] = 0x02;                      // POST
    m[n++] = (uint8_t)(mid >> 8);
    m[n++] = (uint8_t)mid;
    m[n++] = (uint8_t)(sequence >> 8);
    m[n++] = (uint8_t)sequence;
    m[n++] = 0xB8; // Uri-Path (11), 8 bytes
    memcpy(m + n, "readings", 8);
    n += 8;
    m[n++] = 0x11; // Content-Format (12), 1 byte
    m[n++] = 110;
    m[n++] = 0xFF;
    unsigned tenths = 200 + (sequence * 7) % 80;
    n += sprintf((char *)m + n, "[{\"bn\":\"load-%02u:\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":%u.%u}]", sequence % SENSORS,
                 tenths / 10, tenths % 10);
    return n;
}

// One CON reading and its ACK; 0 when the answer was 2.04.
static int post(session *s, uint16_t mid, unsigned sequence) {
    uint8_t m[256];
    int n = message(m, 1, mid, sequence);
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

// close_notify on every session, so the daemon frees their slots for the next run at once.
static void close_all(session *sessions, int count) {
    for (int i = 0; i < count; i++) mbedtls_ssl_close_notify(&sessions[i].ssl);
}

int main(int argc, char **argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: dtls_flood HOST PORT IDENTITY KEY-TEXT SESSIONS SECONDS flood|hold\n");
        return 2;
    }
    int count = atoi(argv[5]);
    double seconds = atof(argv[6]);
    int hold = strcmp(argv[7], "hold") == 0;
    static const int suites[] = {MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0};
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, 0, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || count < 1) {
        printf("error bad arguments\n");
        return 1;
    }
    session *sessions = calloc((size_t)count, sizeof(session));
    for (int i = 0; i < count; i++) {
        session *s = &sessions[i];
        s->fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
            printf("error socket\n");
            return 1;
        }
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
        if (post(s, (uint16_t)(i * 1000), (unsigned)i) != 0) {
            printf("error first reading of session %d not acknowledged\n", i);
            return 1;
        }
    }
    printf("sessions %d\n", count);
    fflush(stdout);
    int64_t start = now_ms(), end = start + (int64_t)(seconds * 1000);
    if (hold) {
        unsigned r = 1;
        while (now_ms() < end) {
            usleep(200000);
            if ((now_ms() - start) / 5000 >= (int64_t)r) {
                for (int i = 0; i < count; i++) post(&sessions[i], (uint16_t)(i * 1000 + r), r);
                r++;
            }
        }
        close_all(sessions, count);
        return 0;
    }
    long sent = 0;
    unsigned sequence = 0;
    uint16_t mid = 1;
    uint8_t m[256], junk[2048];
    while (now_ms() < end) {
        for (int k = 0; k < 64; k++) {
            session *s = &sessions[sequence % (unsigned)count];
            int n = message(m, 0, mid++, sequence);
            if (mbedtls_ssl_write(&s->ssl, m, (size_t)n) == n) sent++;
            sequence++;
        }
        // The daemon's NON 2.04 answers: read and dropped.
        for (int i = 0; i < count; i++) {
            while (recv(sessions[i].fd, junk, sizeof(junk), MSG_DONTWAIT) > 0) {}
        }
    }
    double elapsed = (double)(now_ms() - start) / 1000.0;
    close_all(sessions, count);
    printf("sent %ld\nseconds %.6f\n", sent, elapsed);
    return 0;
}
