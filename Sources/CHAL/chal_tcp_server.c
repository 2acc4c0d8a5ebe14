// POSIX implementation of CHAL's TCP server surface (see include/chal_tcp_server.h).
// Every failure is returned as -errno; nothing here allocates.
#define _GNU_SOURCE
#include "chal.h"
#include "chal_sockaddr.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int32_t chal_tcp_listen(const chal_address *address, int32_t backlog) {
    struct sockaddr_storage s;
    socklen_t length = chal_sockaddr_from_address(address, &s);
    if (length == 0) return -EAFNOSUPPORT;
    int fd = socket(s.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (s.ss_family == AF_INET6) (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&s, length) != 0 || listen(fd, backlog > 0 ? backlog : 16) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int32_t chal_tcp_local_address(int32_t fd, chal_address *out) {
    struct sockaddr_storage s;
    socklen_t length = sizeof(s);
    if (getsockname(fd, (struct sockaddr *)&s, &length) != 0) return -errno;
    chal_sockaddr_to_address(&s, out);
    return 0;
}

int32_t chal_tcp_accept(int32_t listen_fd, chal_address *peer) {
    struct sockaddr_storage s;
    socklen_t length = sizeof(s);
    for (;;) {
        int fd = accept4(listen_fd, (struct sockaddr *)&s, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            if (peer != 0) chal_sockaddr_to_address(&s, peer);
            return fd;
        }
        // A connection reset while it waited in the queue is not a listener failure: try the next.
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

int64_t chal_tcp_receive(int32_t fd, uint8_t *buffer, int64_t count) {
    for (;;) {
        ssize_t n = recv(fd, buffer, (size_t)count, 0);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

int64_t chal_tcp_send(int32_t fd, const uint8_t *buffer, int64_t count) {
    for (;;) {
        ssize_t n = send(fd, buffer, (size_t)count, MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

int32_t chal_tcp_shutdown_send(int32_t fd) {
    return shutdown(fd, SHUT_WR) == 0 ? 0 : -errno;
}
