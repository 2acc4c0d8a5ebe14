// systemd's notify protocol (see include/chal_notify.h): one datagram per notification on the
// AF_UNIX socket named by $NOTIFY_SOCKET. Everything is static: no allocation at any time.
#define _GNU_SOURCE
#include "chal_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int chal_notify_fd = -1;
static struct sockaddr_un chal_notify_address;
static socklen_t chal_notify_address_length;

int32_t chal_notify_open(void) {
    const char *name = getenv("NOTIFY_SOCKET");
    if (name == NULL || name[0] == 0) return 0;
    size_t length = strlen(name);
    // Only absolute paths and abstract names ('@'): a relative path would depend on the working
    // directory, and sun_path has a fixed size.
    if ((name[0] != '/' && name[0] != '@') || length >= sizeof(chal_notify_address.sun_path)) return -EINVAL;
    memset(&chal_notify_address, 0, sizeof(chal_notify_address));
    chal_notify_address.sun_family = AF_UNIX;
    memcpy(chal_notify_address.sun_path, name, length);
    // An abstract name is its bytes after a leading NUL, with no terminator counted.
    if (name[0] == '@') chal_notify_address.sun_path[0] = 0;
    chal_notify_address_length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length + (name[0] == '@' ? 0 : 1));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    chal_notify_fd = fd;
    return 1;
}

int32_t chal_notify_send(const uint8_t *text, int64_t length) {
    if (chal_notify_fd < 0) return 0;
    if (length <= 0) return -EINVAL;
    for (;;) {
        ssize_t n = sendto(chal_notify_fd, text, (size_t)length, MSG_DONTWAIT | MSG_NOSIGNAL,
                           (const struct sockaddr *)&chal_notify_address, chal_notify_address_length);
        if (n >= 0) return 0;
        if (errno != EINTR) return -errno;
    }
}

int64_t chal_notify_watchdog_usec(void) {
    const char *usec = getenv("WATCHDOG_USEC");
    if (usec == NULL || usec[0] == 0) return 0;
    const char *pid = getenv("WATCHDOG_PID");
    if (pid != NULL && pid[0] != 0) {
        // Meant for another process (a parent that exported it): not ours to answer.
        char *end = NULL;
        errno = 0;
        long long value = strtoll(pid, &end, 10);
        if (errno != 0 || *end != 0 || value != (long long)getpid()) return 0;
    }
    char *end = NULL;
    errno = 0;
    long long value = strtoll(usec, &end, 10);
    if (errno != 0 || *end != 0 || value <= 0) return 0;
    return (int64_t)value;
}

void chal_notify_close(void) {
    if (chal_notify_fd >= 0) close(chal_notify_fd);
    chal_notify_fd = -1;
}
