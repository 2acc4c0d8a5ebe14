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
#include "dtls_client.h"
#include <stdlib.h>
#include <unistd.h>

#define SENSORS 64

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
    return exchange(s, m, n, mid);
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
    dtls_client_start();
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 || count < 1) {
        printf("error bad arguments\n");
        return 1;
    }
    session *sessions = calloc((size_t)count, sizeof(session));
    for (int i = 0; i < count; i++) {
        session *s = &sessions[i];
        if (session_open(s, &to, argv[3], argv[4], i) != 0) return 1;
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
