// Drives CHAL's DTLS server (Sources/CHAL/chal_dtls.c) with mbedTLS DTLS clients in the same
// process over loopback UDP, for test_dtls.py:
//
//   dtls_probe SESSIONS ROUNDS
//
// SESSIONS clients with good keys handshake (each through the cookie exchange), then ROUNDS rounds
// in which every client sends one record that the server decrypts (checking the identity it
// reports) and answers; the malloc counter (linked in) counts heap allocations of both sides
// during those rounds only: the steady state with sessions up. Then: a replayed record, a client
// with the wrong key, an unknown identity, and one client more than the table holds. Prints one
// `name value` line per finding; exits 1 when the harness itself failed.
#define _GNU_SOURCE
#include "CMallocCounter.h"
#include "chal.h"

#include <arpa/inet.h>
#include <errno.h>
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

static int server_fd;
static struct sockaddr_in server_address;
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;
static uint8_t plaintext[1500];
static int last_kind, last_identity, last_session;
static uint8_t last_datagram[1500];
static int last_datagram_length;

static const uint8_t key_a[16] = "secret-key-of-a";
static const uint8_t key_b[16] = "secret-key-of-b";
static const uint8_t key_wrong[16] = "not-the-key-of-";

typedef struct client {
    int fd;
    int done;
    int64_t timer_start, timer_int, timer_fin;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
} client;

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int client_send(void *context, const unsigned char *bytes, size_t count) {
    client *c = context;
    ssize_t n = send(c->fd, bytes, count, MSG_DONTWAIT);
    return n >= 0 ? (int)n : MBEDTLS_ERR_SSL_WANT_WRITE;
}

static int client_recv(void *context, unsigned char *buffer, size_t capacity) {
    client *c = context;
    ssize_t n = recv(c->fd, buffer, capacity, MSG_DONTWAIT);
    return n >= 0 ? (int)n : MBEDTLS_ERR_SSL_WANT_READ;
}

static void client_timer_set(void *context, uint32_t int_ms, uint32_t fin_ms) {
    client *c = context;
    c->timer_start = now_ms();
    c->timer_int = int_ms;
    c->timer_fin = fin_ms;
}

static int client_timer_get(void *context) {
    client *c = context;
    if (c->timer_fin == 0) return -1;
    int64_t elapsed = now_ms() - c->timer_start;
    return elapsed >= c->timer_fin ? 2 : elapsed >= c->timer_int ? 1 : 0;
}

static void client_open(client *c, const char *identity, const uint8_t *key) {
    static const int suites[] = {MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, 0};
    memset(c, 0, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    connect(c->fd, (struct sockaddr *)&server_address, sizeof(server_address));
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_ciphersuites(&c->conf, suites);
    mbedtls_ssl_conf_psk(&c->conf, key, 16, (const unsigned char *)identity, strlen(identity));
    mbedtls_ssl_setup(&c->ssl, &c->conf);
    mbedtls_ssl_set_bio(&c->ssl, c, client_send, client_recv, 0);
    mbedtls_ssl_set_timer_cb(&c->ssl, c, client_timer_set, client_timer_get);
}

static void client_close(client *c) {
    mbedtls_ssl_free(&c->ssl);
    mbedtls_ssl_config_free(&c->conf);
    close(c->fd);
}

// Hands every waiting datagram of the server socket to CHAL; answers DATA with "ack:" + payload.
static int pump_server(int keep) {
    int data = 0;
    for (;;) {
        uint8_t datagram[1500];
        struct sockaddr_in from;
        socklen_t from_length = sizeof(from);
        ssize_t n = recvfrom(server_fd, datagram, sizeof(datagram), MSG_DONTWAIT, (struct sockaddr *)&from, &from_length);
        if (n <= 0) break;
        if (keep) {
            memcpy(last_datagram, datagram, (size_t)n);
            last_datagram_length = (int)n;
        }
        chal_address peer;
        memset(&peer, 0, sizeof(peer));
        peer.family = CHAL_FAMILY_IPV4;
        peer.port = ntohs(from.sin_port);
        memcpy(peer.bytes, &from.sin_addr, 4);
        chal_dtls_event event;
        int32_t r = chal_dtls_input(0, datagram, (int32_t)n, &peer, plaintext, sizeof(plaintext), &event);
        if (event.kind != CHAL_DTLS_EVENT_NONE && event.kind != CHAL_DTLS_EVENT_COOKIE_SENT) {
            last_kind = event.kind;
            last_identity = event.identity;
            last_session = event.session;
        }
        if (r > 0) {
            uint8_t answer[1600];
            memcpy(answer, "ack:", 4);
            memcpy(answer + 4, plaintext, (size_t)r);
            chal_dtls_write(0, event.session, answer, r + 4);
            data++;
        }
    }
    return data;
}

// Runs the handshake of `c` against the server; returns 0 when done, else the client's last error.
static int handshake(client *c) {
    int64_t deadline = now_ms() + 5000;
    while (now_ms() < deadline) {
        int ret = mbedtls_ssl_handshake(&c->ssl);
        if (ret == 0) return 0;
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) return ret;
        struct pollfd p[2] = {{.fd = server_fd, .events = POLLIN}, {.fd = c->fd, .events = POLLIN}};
        poll(p, 2, 20);
        pump_server(0);
        chal_dtls_tick(0);
    }
    return -1;
}

// One record from the client, through the server and back; 0 when the answer came.
static int round_trip(client *c, const uint8_t *bytes, int count) {
    if (mbedtls_ssl_write(&c->ssl, bytes, (size_t)count) != count) return -1;
    int64_t deadline = now_ms() + 2000;
    while (now_ms() < deadline) {
        pump_server(1);
        uint8_t answer[1600];
        int n = mbedtls_ssl_read(&c->ssl, answer, sizeof(answer));
        if (n == count + 4 && memcmp(answer, "ack:", 4) == 0 && memcmp(answer + 4, bytes, (size_t)count) == 0) return 0;
        if (n > 0 || (n != MBEDTLS_ERR_SSL_WANT_READ && n != MBEDTLS_ERR_SSL_TIMEOUT)) return -2;
        struct pollfd p[2] = {{.fd = server_fd, .events = POLLIN}, {.fd = c->fd, .events = POLLIN}};
        poll(p, 2, 5);
    }
    return -3;
}

int main(int argc, char **argv) {
    int sessions = argc > 1 ? atoi(argv[1]) : 4;
    int rounds = argc > 2 ? atoi(argv[2]) : 100;
    if (sessions < 2 || sessions > 32) sessions = 4;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, 0, 0);

    server_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    server_address.sin_family = AF_INET;
    server_address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(server_fd, (struct sockaddr *)&server_address, sizeof(server_address));
    socklen_t length = sizeof(server_address);
    getsockname(server_fd, (struct sockaddr *)&server_address, &length);
    // Eviction only after a minute idle: the table-full case below must be refused.
    chal_dtls_server_config config = {.max_sessions = sessions, .idle_timeout_ms = 600000, .evict_idle_ms = 60000};
    if (chal_dtls_server_open(&config, server_fd) != 0) { printf("error server_open\n"); return 1; }
    chal_dtls_psk_add(0, (const uint8_t *)"sensor-a", 8, key_a, 16, 7);
    chal_dtls_psk_add(0, (const uint8_t *)"sensor-b", 8, key_b, 16, 9);

    client *clients = calloc((size_t)sessions + 1, sizeof(client));
    int established = 0, identities_ok = 1;
    for (int i = 0; i < sessions; i++) {
        client_open(&clients[i], i % 2 ? "sensor-b" : "sensor-a", i % 2 ? key_b : key_a);
        if (handshake(&clients[i]) == 0) established++;
    }
    printf("established %d of %d\n", established, sessions);
    uint64_t counters[8];
    chal_dtls_counters(0, counters, 8);
    printf("cookies_sent %llu\n", (unsigned long long)counters[0]);
    int up = 0;
    int used = chal_dtls_session_count(0, &up);
    printf("sessions %d up %d\n", used, up);
    if (established != sessions) { printf("error handshakes failed\n"); return 1; }

    // Warm-up round (first records may touch lazily set-up state), then the counted rounds.
    for (int i = 0; i < sessions; i++) round_trip(&clients[i], (const uint8_t *)"warm-up", 7);
    int good = 0;
    uint8_t message[64];
    malloc_counter_start();
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < sessions; i++) {
            int n = snprintf((char *)message, sizeof(message), "reading %d of client %d", r, i);
            if (round_trip(&clients[i], message, n) == 0) {
                good++;
                if (last_identity != (i % 2 ? 9 : 7)) identities_ok = 0;
            }
        }
    }
    uint64_t allocations = malloc_counter_stop();
    printf("records %d of %d\n", good, rounds * sessions);
    printf("identities %s\n", identities_ok ? "ok" : "wrong");
    printf("steady_allocations %llu\n", (unsigned long long)allocations);

    // The last client datagram the server saw, handed in again: the replay window drops it.
    uint8_t event_plain[1500];
    chal_address peer;
    chal_dtls_session_peer(0, last_session, &peer);
    chal_dtls_event event;
    int32_t again = chal_dtls_input(0, last_datagram, last_datagram_length, &peer, event_plain, sizeof(event_plain), &event);
    printf("replay %s\n", again == 0 && event.kind == CHAL_DTLS_EVENT_NONE ? "dropped" : "accepted");

    // Garbage from a new peer never reaches the library.
    chal_dtls_counters(0, counters, 8);
    uint64_t dropped_before = counters[3];
    chal_address stranger = peer;
    stranger.port = (uint16_t)(peer.port ^ 0x5555);
    int32_t garbage = chal_dtls_input(0, (const uint8_t *)"GET /readings please", 20, &stranger, event_plain, sizeof(event_plain), &event);
    chal_dtls_counters(0, counters, 8);
    printf("garbage %s\n", garbage == 0 && counters[3] == dropped_before + 1 ? "dropped" : "taken");

    // A client more than the table holds, all sessions recent: refused, nobody evicted.
    client extra;
    client_open(&extra, "sensor-a", key_a);
    last_kind = 0;
    int extra_result = handshake(&extra);
    chal_dtls_counters(0, counters, 8);
    printf("table_full %s refused %llu\n", extra_result == 0 ? "accepted" : "refused", (unsigned long long)counters[4]);
    client_close(&extra);
    // Free one slot for the failure cases.
    mbedtls_ssl_close_notify(&clients[0].ssl);
    pump_server(0);
    chal_dtls_session_count(0, &up);
    printf("after_close_notify up %d\n", up);

    // Resumption: client 1 (sensor-b) keeps its session, ends the connection, and comes back
    // with an abbreviated handshake; the server must give the resumed session sensor-b's identity.
    mbedtls_ssl_session saved;
    mbedtls_ssl_session_init(&saved);
    int saved_ok = mbedtls_ssl_get_session(&clients[1].ssl, &saved) == 0;
    mbedtls_ssl_close_notify(&clients[1].ssl);
    pump_server(0);
    client returning;
    client_open(&returning, "sensor-b", key_b);
    if (saved_ok) mbedtls_ssl_set_session(&returning.ssl, &saved);
    last_kind = 0;
    last_identity = -1;
    int again_result = handshake(&returning);
    int resumed_trip = again_result == 0 ? round_trip(&returning, (const uint8_t *)"after resumption", 16) : -1;
    chal_dtls_counters(0, counters, 8);
    // (The client finishes an abbreviated handshake first: the server's side completes with the
    // client's Finished, which the record's round trip delivers.)
    printf("resumption %s resumed %llu record %s identity %d\n", again_result == 0 ? "ok" : "failed",
           (unsigned long long)counters[7], resumed_trip == 0 ? "ok" : "failed", last_identity);
    mbedtls_ssl_close_notify(&returning.ssl);
    pump_server(0);
    client_close(&returning);
    mbedtls_ssl_session_free(&saved);

    client wrong;
    client_open(&wrong, "sensor-a", key_wrong);
    last_kind = 0;
    int wrong_result = handshake(&wrong);
    uint8_t text[256];
    int32_t n = chal_dtls_error_text(0, text, sizeof(text));
    printf("wrong_key %s event %d text %.*s\n", wrong_result == 0 ? "accepted" : "refused", last_kind, n, (const char *)text);
    client_close(&wrong);

    client unknown;
    client_open(&unknown, "intruder", key_a);
    last_kind = 0;
    int unknown_result = handshake(&unknown);
    n = chal_dtls_error_text(0, text, sizeof(text));
    printf("unknown_identity %s event %d text %.*s\n", unknown_result == 0 ? "accepted" : "refused", last_kind, n, (const char *)text);
    client_close(&unknown);

    chal_dtls_counters(0, counters, 8);
    printf("counters cookies %llu done %llu failed %llu dropped %llu refused %llu evicted %llu closed %llu resumed %llu\n",
           (unsigned long long)counters[0], (unsigned long long)counters[1], (unsigned long long)counters[2],
           (unsigned long long)counters[3], (unsigned long long)counters[4], (unsigned long long)counters[5],
           (unsigned long long)counters[6], (unsigned long long)counters[7]);
    for (int i = 0; i < sessions; i++) client_close(&clients[i]);
    free(clients);
    chal_dtls_server_close(0);
    return 0;
}
