// Drives CHAL's TLS client (Sources/CHAL/chal_tls.c) against a real TLS server, for test_tls.py.
//
//   tls_client_probe HOST PORT SERVER_NAME CA_FILE [CERT KEY] [--skip-verify] [--rounds N]
//
// Connects with a non-blocking TCP socket, handshakes through chal_tls_handshake (polling on what
// chal_tls_poll_events asks for), then sends N lines and reads each one back from `openssl
// s_server -rev` (which answers every line reversed). The malloc counter (linked in) counts heap
// allocations during the echo rounds only: the steady state after the handshake.
// Prints `handshake ok`, `echo ok N`, `steady_allocations K`, or `error CODE TEXT` and exits 1.
#define _GNU_SOURCE
#include "CMallocCounter.h"
#include "chal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail_with(int32_t handle, int32_t code) {
    uint8_t text[300];
    int32_t n = chal_tls_error_text(handle, text, sizeof(text));
    printf("error %d %.*s\n", code, n > 0 ? n : 0, (const char *)text);
    return 1;
}

// Waits until the socket is ready for what the connection asked (at most 5 s).
static int wait_for(int fd, int32_t handle) {
    int32_t events = chal_tls_poll_events(handle);
    struct pollfd p = {.fd = fd, .events = (short)(((events & CHAL_POLL_IN) ? POLLIN : 0) | ((events & CHAL_POLL_OUT) ? POLLOUT : 0))};
    return poll(&p, 1, 5000) > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: tls_client_probe HOST PORT SERVER_NAME CA_FILE [CERT KEY] [--skip-verify] [--rounds N]\n");
        return 2;
    }
    chal_tls_client_config config;
    memset(&config, 0, sizeof(config));
    config.ca_file = (const uint8_t *)argv[4];
    int rounds = 100;
    int positional = 0;
    const char *extra[2] = {0, 0};
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--skip-verify") == 0) config.skip_verify = 1;
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (positional < 2) extra[positional++] = argv[i];
    }
    if (positional == 2) {
        config.cert_file = (const uint8_t *)extra[0];
        config.key_file = (const uint8_t *)extra[1];
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS) {
        printf("error %d connect: %s\n", -errno, strerror(errno));
        return 1;
    }
    const uint8_t *name = strcmp(argv[3], "-") == 0 ? 0 : (const uint8_t *)argv[3];
    int32_t handle = chal_tls_client_open(&config, fd, name);
    if (handle < 0) return fail_with(-1, handle);
    for (;;) {
        int32_t r = chal_tls_handshake(handle);
        if (r == 0) break;
        if (r != CHAL_EAGAIN) return fail_with(handle, r);
        if (wait_for(fd, handle) != 0) {
            printf("error timeout handshake did not finish in 5 s\n");
            return 1;
        }
    }
    printf("handshake ok\n");
    fflush(stdout);

    uint8_t line[64], reply[64];
    malloc_counter_start();
    for (int round = 0; round < rounds; round++) {
        int n = snprintf((char *)line, sizeof(line), "reading %06d abc\n", round);
        int32_t sent = 0;
        while (sent < n) {
            int32_t w = chal_tls_write(handle, line + sent, n - sent);
            if (w == CHAL_EAGAIN) { if (wait_for(fd, handle) != 0) break; continue; }
            if (w < 0) { malloc_counter_stop(); return fail_with(handle, w); }
            sent += w;
        }
        int32_t got = 0;
        while (got < n) {
            int32_t r = chal_tls_read(handle, reply + got, (int32_t)sizeof(reply) - got);
            if (r == CHAL_EAGAIN) {
                if (wait_for(fd, handle) != 0) { malloc_counter_stop(); printf("error timeout no echo in 5 s\n"); return 1; }
                continue;
            }
            if (r <= 0) { malloc_counter_stop(); return fail_with(handle, r == 0 ? CHAL_ECONNRESET : r); }
            got += r;
        }
        // s_server -rev answers the line reversed, newline last.
        for (int i = 0; i < n - 1; i++) {
            if (reply[i] != line[n - 2 - i]) {
                malloc_counter_stop();
                printf("error mismatch round %d: %.*s\n", round, got, (const char *)reply);
                return 1;
            }
        }
    }
    uint64_t allocations = malloc_counter_stop();
    printf("echo ok %d\n", rounds);
    printf("steady_allocations %llu\n", (unsigned long long)allocations);
    chal_tls_close(handle);
    close(fd);
    return 0;
}
