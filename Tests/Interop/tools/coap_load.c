// coap_load: a CoAP-over-UDP load generator for the daemon's interop, allocation and bench runs.
//
//   coap_load flood  HOST PORT SECONDS single|single-nr|pack50
//                                                             NON POSTs as fast as sendmmsg goes;
//                                                             `single-nr`: with No-Response = 2
//                                                             (RFC 7967: no 2.04 wanted)
//   coap_load window HOST PORT COUNT   mix|single|pack50|con POSTs in windows of 32, each window
//                                                             waiting for its responses (no loss);
//                                                             `con`: single readings, all CON
//   coap_load inflight HOST PORT COUNT [WINDOW]               CON single readings, WINDOW (default
//                                                             32) in flight at all times: a new one
//                                                             leaves as each ACK comes back, as
//                                                             independent sensors do (no lock-step)
//   coap_load rtt    HOST PORT COUNT                          one CON POST at a time: RTT p50/p99
//
// Payloads: `single` is one SenML-JSON reading (content-format 110) per datagram; `pack50` is a
// SenML-CBOR pack (112) of 50 readings of one sensor at 50 distinct times; `mix` alternates
// single/pack and CON/NON. Sensors rotate over 64 names, values stay in the normal range.
// Output: one `name value` line per figure on standard output.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SENSORS 64
#define BATCH 64
#define DATAGRAM_MAX 1152

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// CoAP header + token (2 bytes) + Uri-Path "readings" + Content-Format (+ No-Response = 2 when
// `no_response`), then the payload marker.
static size_t coap_header(uint8_t *out, int confirmable, uint16_t mid, uint16_t token, int format, int no_response) {
    size_t n = 0;
    out[n++] = (uint8_t)(0x40 | (confirmable ? 0x00 : 0x10) | 2);  // ver 1, type, TKL 2
    out[n++] = 0x02;                                                  // POST
    out[n++] = (uint8_t)(mid >> 8);
    out[n++] = (uint8_t)mid;
    out[n++] = (uint8_t)(token >> 8);
    out[n++] = (uint8_t)token;
    out[n++] = 0xB8;  // option 11 (Uri-Path), length 8
    memcpy(out + n, "readings", 8);
    n += 8;
    out[n++] = 0x11;  // option 12 (delta 1), length 1
    out[n++] = (uint8_t)format;
    if (no_response) {
        out[n++] = 0xD1;       // delta 13 + next byte, length 1
        out[n++] = 258 - 12 - 13;  // option 258 after option 12
        out[n++] = 0x02;       // not interested in 2.xx
    }
    out[n++] = 0xFF;
    return n;
}

static size_t single_payload(uint8_t *out, unsigned sequence) {
    unsigned sensor = sequence % SENSORS;
    unsigned tenths = 200 + (sequence * 7) % 80;  // 20.0 ... 27.9 °C
    int n = sprintf((char *)out, "[{\"bn\":\"load-%02u:\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":%u.%u}]", sensor,
                    tenths / 10, tenths % 10);
    return (size_t)n;
}

// CBOR: [{-2: "load-NN:temperature", -4: "Cel", 2: v, 6: -49}, {2: v, 6: -48}, ..., {2: v, 6: 0}]
static size_t pack_payload(uint8_t *out, unsigned sequence) {
    unsigned sensor = sequence % SENSORS;
    size_t n = 0;
    out[n++] = 0x98;  // array, 1-byte length
    out[n++] = 50;
    for (int k = 49; k >= 0; k--) {
        unsigned value = 16 + (sequence + (unsigned)k) % 8;  // 16...23: one-byte CBOR integers
        if (k == 49) {
            out[n++] = 0xA4;
            out[n++] = 0x21;  // -2 bn
            char name[32];
            int length = snprintf(name, sizeof(name), "load-%02u:temperature", sensor);
            out[n++] = (uint8_t)(0x60 | length);
            memcpy(out + n, name, (size_t)length);
            n += (size_t)length;
            out[n++] = 0x23;  // -4 bu
            out[n++] = 0x63;
            memcpy(out + n, "Cel", 3);
            n += 3;
        } else {
            out[n++] = 0xA2;
        }
        out[n++] = 0x02;  // v
        out[n++] = (uint8_t)value;
        out[n++] = 0x06;  // t, relative: -k seconds
        if (k == 0) {
            out[n++] = 0x00;
        } else if (k <= 24) {
            out[n++] = (uint8_t)(0x20 | (k - 1));
        } else {
            out[n++] = 0x38;
            out[n++] = (uint8_t)(k - 1);
        }
    }
    return n;
}

static size_t build(uint8_t *out, int pack, int confirmable, uint16_t mid, unsigned sequence, int no_response) {
    size_t n = coap_header(out, confirmable, mid, (uint16_t)(sequence * 2654435761u >> 16), pack ? 112 : 110, no_response);
    n += pack ? pack_payload(out + n, sequence) : single_payload(out + n, sequence);
    return n;
}

static int open_socket(const char *host, int port, struct sockaddr_in *to) {
    memset(to, 0, sizeof(*to));
    to->sin_family = AF_INET;
    to->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &to->sin_addr) != 1) {
        fprintf(stderr, "coap_load: bad IPv4 address %s\n", host);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)to, sizeof(*to)) < 0) {
        perror("coap_load: socket");
        exit(1);
    }
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    return fd;
}

static uint8_t buffers[BATCH][DATAGRAM_MAX];
static struct mmsghdr headers[BATCH];
static struct iovec vectors[BATCH];

// Drains every waiting response without blocking; returns how many. With `acks`, also counts
// the ACKs among them there.
static long drain_counting(int fd, long *acks) {
    long total = 0;
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            vectors[i].iov_base = buffers[i];
            vectors[i].iov_len = DATAGRAM_MAX;
            memset(&headers[i], 0, sizeof(headers[i]));
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, headers, BATCH, MSG_DONTWAIT, 0);
        if (n <= 0) return total;
        total += n;
        for (int i = 0; acks && i < n; i++) {
            if (headers[i].msg_len >= 4 && ((buffers[i][0] >> 4) & 3) == 2) (*acks)++;
        }
    }
}

static long drain(int fd) { return drain_counting(fd, 0); }

static int flood(int fd, double seconds, int pack, int no_response) {
    static uint8_t templates[1024][DATAGRAM_MAX];
    static size_t lengths[1024];
    for (unsigned i = 0; i < 1024; i++) lengths[i] = build(templates[i], pack, 0, 0, i, no_response);
    int64_t end = now_ns() + (int64_t)(seconds * 1e9);
    uint16_t mid = 1;
    long sent = 0;
    unsigned at = 0;
    int64_t start = now_ns();
    while (now_ns() < end) {
        for (int i = 0; i < BATCH; i++) {
            unsigned t = (at + (unsigned)i) % 1024;
            templates[t][2] = (uint8_t)(mid >> 8);
            templates[t][3] = (uint8_t)mid;
            mid++;
            memcpy(buffers[i], templates[t], lengths[t]);
            vectors[i].iov_base = buffers[i];
            vectors[i].iov_len = lengths[t];
            memset(&headers[i], 0, sizeof(headers[i]));
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
        }
        at += BATCH;
        int n = sendmmsg(fd, headers, BATCH, 0);
        if (n > 0) sent += n;
        drain(fd);  // the daemon's NON responses (none with single-nr): read and dropped
    }
    double elapsed = (double)(now_ns() - start) / 1e9;
    printf("sent %ld\nseconds %.6f\nreadings_per_datagram %d\n", sent, elapsed, pack ? 50 : 1);
    return 0;
}

static int window(int fd, long count, const char *kind) {
    int mix = strcmp(kind, "mix") == 0, pack = strcmp(kind, "pack50") == 0, con = strcmp(kind, "con") == 0;
    uint16_t mid = (uint16_t)(getpid() * 7);
    int64_t start = now_ns();
    long sent = 0, received = 0, missing = 0;
    unsigned sequence = 0;
    while (sent < count) {
        int n = (int)(count - sent < 32 ? count - sent : 32);
        for (int i = 0; i < n; i++) {
            int is_pack = mix ? (sequence % 4 >= 2) : pack;
            int confirmable = mix ? (int)(sequence % 2) : con;
            size_t length = build(buffers[i], is_pack, confirmable, mid++, sequence++, 0);
            vectors[i].iov_base = buffers[i];
            vectors[i].iov_len = length;
            memset(&headers[i], 0, sizeof(headers[i]));
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
        }
        int done = 0;
        while (done < n) {
            int k = sendmmsg(fd, headers + done, (unsigned)(n - done), 0);
            if (k < 0) { perror("coap_load: sendmmsg"); return 1; }
            done += k;
        }
        sent += n;
        // Wait for the window's responses (every request is answered: ACK or NON 2.04).
        long got = 0;
        int64_t deadline = now_ns() + 2000000000LL;
        while (got < n && now_ns() < deadline) {
            struct pollfd p = {fd, POLLIN, 0};
            poll(&p, 1, 50);
            got += drain(fd);
        }
        received += got;
        if (got < n) missing += n - got;
    }
    printf("sent %ld\nresponses %ld\nmissing %ld\nseconds %.6f\n", sent, received, missing,
           (double)(now_ns() - start) / 1e9);
    return missing == 0 ? 0 : 1;
}

// CON readings with `depth` exchanges in flight at all times. Requests are built from 1024
// templates before the clock starts (only the message ID changes), like the flood's, so the
// generator spends its CPU on the socket calls.
static int inflight(int fd, long count, int depth) {
    static uint8_t templates[1024][DATAGRAM_MAX];
    static size_t lengths[1024];
    static uint8_t out[BATCH][DATAGRAM_MAX];
    static struct mmsghdr out_headers[BATCH];
    static struct iovec out_vectors[BATCH];
    if (depth < 1 || depth > BATCH) {
        fprintf(stderr, "coap_load: window 1 to %d\n", BATCH);
        return 2;
    }
    unsigned base = (unsigned)getpid() * 1024u;
    for (unsigned i = 0; i < 1024; i++) lengths[i] = build(templates[i], 0, 1, 0, base + i, 0);
    uint16_t mid = (uint16_t)(getpid() * 7);
    long sent = 0, acked = 0;
    int64_t start = now_ns();
    int64_t last_progress = start;
    while (acked < count) {
        int n = 0;
        while (sent + n < count && sent + n - acked < depth && n < BATCH) {
            unsigned t = (unsigned)(sent + n) % 1024;
            memcpy(out[n], templates[t], lengths[t]);
            out[n][2] = (uint8_t)(mid >> 8);
            out[n][3] = (uint8_t)mid;
            mid++;
            out_vectors[n].iov_base = out[n];
            out_vectors[n].iov_len = lengths[t];
            memset(&out_headers[n], 0, sizeof(out_headers[n]));
            out_headers[n].msg_hdr.msg_iov = &out_vectors[n];
            out_headers[n].msg_hdr.msg_iovlen = 1;
            n++;
        }
        int done = 0;
        while (done < n) {
            int k = sendmmsg(fd, out_headers + done, (unsigned)(n - done), 0);
            if (k < 0) { perror("coap_load: sendmmsg"); return 1; }
            done += k;
        }
        sent += n;
        struct pollfd p = {fd, POLLIN, 0};
        poll(&p, 1, 50);
        long got = 0;
        drain_counting(fd, &got);
        acked += got;
        int64_t now = now_ns();
        if (got > 0) last_progress = now;
        if (now - last_progress > 2000000000LL) break;  // an ACK lost: reported as missing
    }
    printf("sent %ld\nresponses %ld\nmissing %ld\nseconds %.6f\n", sent, acked, sent - acked,
           (double)(now_ns() - start) / 1e9);
    return sent == acked ? 0 : 1;
}

static int compare(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int rtt(int fd, long count) {
    int64_t *samples = calloc((size_t)count, sizeof(int64_t));
    uint8_t request[DATAGRAM_MAX], response[DATAGRAM_MAX];
    uint16_t mid = (uint16_t)(getpid() * 13);
    long lost = 0;
    for (long i = 0; i < count; i++) {
        size_t length = build(request, 0, 1, mid, (unsigned)i, 0);
        int64_t start = now_ns();
        if (send(fd, request, length, 0) < 0) { perror("coap_load: send"); return 1; }
        int64_t deadline = start + 1000000000LL;
        int64_t elapsed = -1;
        while (now_ns() < deadline) {
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) continue;
            ssize_t n = recv(fd, response, sizeof(response), 0);
            // The ACK carries our message ID (type 2 = ACK).
            if (n >= 4 && ((response[0] >> 4) & 3) == 2 && response[2] == (uint8_t)(mid >> 8) && response[3] == (uint8_t)mid) {
                elapsed = now_ns() - start;
                break;
            }
        }
        mid++;
        if (elapsed < 0) { lost++; i--; if (lost > 100) break; continue; }
        samples[i] = elapsed;
    }
    long n = count;
    qsort(samples, (size_t)n, sizeof(int64_t), compare);
    printf("rtt_count %ld\nrtt_lost %ld\nrtt_us_p50 %.3f\nrtt_us_p99 %.3f\n", n, lost, samples[n / 2] / 1000.0,
           samples[(n * 99) / 100] / 1000.0);
    free(samples);
    return lost > 100 ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: coap_load flood|window|inflight|rtt HOST PORT SECONDS|COUNT [single|single-nr|pack50|mix|con|WINDOW]\n");
        return 2;
    }
    struct sockaddr_in to;
    int fd = open_socket(argv[2], atoi(argv[3]), &to);
    if (strcmp(argv[1], "flood") == 0)
        return flood(fd, atof(argv[4]), argc > 5 && strcmp(argv[5], "pack50") == 0,
                     argc > 5 && strcmp(argv[5], "single-nr") == 0);
    if (strcmp(argv[1], "window") == 0) return window(fd, atol(argv[4]), argc > 5 ? argv[5] : "mix");
    if (strcmp(argv[1], "rtt") == 0) return rtt(fd, atol(argv[4]));
    if (strcmp(argv[1], "inflight") == 0) return inflight(fd, atol(argv[4]), argc > 5 ? atoi(argv[5]) : 32);
    fprintf(stderr, "coap_load: unknown mode %s\n", argv[1]);
    return 2;
}
