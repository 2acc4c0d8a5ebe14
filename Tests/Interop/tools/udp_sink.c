// udp_sink: the raw loopback ceiling for `make bench`: a minimal recvmmsg receiver that does
// nothing with what it receives. Binds 127.0.0.1:PORT (0: any free port, printed as `port N`),
// then counts datagrams until none came for IDLE_MS after the first one, and prints
// `received N` and `seconds S` (first to last datagram).
//
//   udp_sink PORT IDLE_MS
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64
#define DATAGRAM_MAX 1153

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint8_t buffers[BATCH][DATAGRAM_MAX];
static struct mmsghdr headers[BATCH];
static struct iovec vectors[BATCH];
static struct sockaddr_storage peers[BATCH];

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: udp_sink PORT IDLE_MS\n");
        return 2;
    }
    int idle_ms = atoi(argv[2]);
    struct sockaddr_in address = {0};
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)atoi(argv[1]));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    // The same receive buffer the daemon asks for (EventLoop.receiveBufferBytes).
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
        perror("udp_sink: bind");
        return 1;
    }
    socklen_t length = sizeof(address);
    getsockname(fd, (struct sockaddr *)&address, &length);
    printf("port %u\n", ntohs(address.sin_port));
    fflush(stdout);
    long received = 0;
    int64_t first = 0, last = 0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, received == 0 ? 60000 : idle_ms);
        if (ready <= 0) break;
        for (int i = 0; i < BATCH; i++) {
            vectors[i].iov_base = buffers[i];
            vectors[i].iov_len = DATAGRAM_MAX;
            memset(&headers[i], 0, sizeof(headers[i]));
            headers[i].msg_hdr.msg_name = &peers[i];
            headers[i].msg_hdr.msg_namelen = sizeof(peers[i]);
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, headers, BATCH, MSG_DONTWAIT, 0);
        if (n <= 0) continue;
        if (received == 0) first = now_ns();
        received += n;
        last = now_ns();
    }
    printf("received %ld\nseconds %.6f\n", received, (double)(last - first) / 1e9);
    return 0;
}
