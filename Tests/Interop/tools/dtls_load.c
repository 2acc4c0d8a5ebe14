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
#include "dtls_client.h"
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

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
    return exchange(s, m, n, mid);
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: dtls_load HOST PORT IDENTITY KEY-TEXT SESSIONS READINGS [PID]\n");
        return 2;
    }
    int count = atoi(argv[5]), readings = atoi(argv[6]);
    pid_t pid = argc > 7 ? (pid_t)atoi(argv[7]) : 0;
    dtls_client_start();
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &to.sin_addr);
    session *sessions = calloc((size_t)count, sizeof(session));
    for (int i = 0; i < count; i++) {
        session *s = &sessions[i];
        if (session_open(s, &to, argv[3], argv[4], i) != 0) return 1;
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
