// POSIX implementation of CHAL's TCP server surface (see include/chal_tcp_server.h).
// Every failure is returned as -errno; nothing here allocates.
#define _GNU_SOURCE
#include "chal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// chal_address -> sockaddr; returns its length, 0 for an unknown family.
static socklen_t tcp_to_sockaddr(const chal_address *a, struct sockaddr_storage *s) {
    memset(s, 0, sizeof(*s));
    if (a->family == CHAL_FAMILY_IPV4) {
        struct sockaddr_in *in = (struct sockaddr_in *)s;
        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        memcpy(&in->sin_addr, a->bytes, 4);
        return sizeof(*in);
    }
    if (a->family == CHAL_FAMILY_IPV6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)s;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        in6->sin6_scope_id = a->scope_id;
        memcpy(&in6->sin6_addr, a->bytes, 16);
        return sizeof(*in6);
    }
    return 0;
}

// sockaddr -> chal_address (unknown families come back with family 0).
static void tcp_from_sockaddr(const struct sockaddr_storage *s, chal_address *a) {
    memset(a, 0, sizeof(*a));
    if (s->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)s;
        a->family = CHAL_FAMILY_IPV4;
        a->port = ntohs(in->sin_port);
        memcpy(a->bytes, &in->sin_addr, 4);
    } else if (s->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)s;
        a->family = CHAL_FAMILY_IPV6;
        a->port = ntohs(in6->sin6_port);
        a->scope_id = in6->sin6_scope_id;
        memcpy(a->bytes, &in6->sin6_addr, 16);
    }
}

int32_t chal_tcp_listen(const chal_address *address, int32_t backlog) {
    struct sockaddr_storage s;
    socklen_t length = tcp_to_sockaddr(address, &s);
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
    tcp_from_sockaddr(&s, out);
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
            if (peer != 0) tcp_from_sockaddr(&s, peer);
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
