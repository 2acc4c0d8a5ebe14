// POSIX implementation of CHAL (see include/chal.h). Every failure is returned as -errno.
#define _GNU_SOURCE
#include "chal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

// The CHAL_E* names (chal_errors.h) must be this system's errno values negated, and the CHAL_SIG*
// names its signal numbers: checked here, once per build.
#include <signal.h>
_Static_assert(CHAL_ENOENT == -ENOENT && CHAL_EINTR == -EINTR && CHAL_EIO == -EIO && CHAL_EBADF == -EBADF, "errno");
_Static_assert(CHAL_EAGAIN == -EAGAIN && CHAL_EACCES == -EACCES && CHAL_EEXIST == -EEXIST, "errno");
_Static_assert(CHAL_ENOTDIR == -ENOTDIR && CHAL_EISDIR == -EISDIR && CHAL_EINVAL == -EINVAL, "errno");
_Static_assert(CHAL_EMFILE == -EMFILE && CHAL_ENOTTY == -ENOTTY && CHAL_EFBIG == -EFBIG, "errno");
_Static_assert(CHAL_ENOSPC == -ENOSPC && CHAL_EROFS == -EROFS && CHAL_ENAMETOOLONG == -ENAMETOOLONG, "errno");
_Static_assert(CHAL_ECONNRESET == -ECONNRESET && CHAL_ETIMEDOUT == -ETIMEDOUT && CHAL_ECONNREFUSED == -ECONNREFUSED, "errno");
_Static_assert(CHAL_EHOSTUNREACH == -EHOSTUNREACH && CHAL_EINPROGRESS == -EINPROGRESS, "errno");
_Static_assert(CHAL_EAFNOSUPPORT == -EAFNOSUPPORT && CHAL_EADDRINUSE == -EADDRINUSE, "errno");
_Static_assert(CHAL_EADDRNOTAVAIL == -EADDRNOTAVAIL && CHAL_EDQUOT == -EDQUOT, "errno");
_Static_assert(CHAL_EPROTO == -EPROTO && CHAL_EOPNOTSUPP == -EOPNOTSUPP, "errno");
_Static_assert(CHAL_ECONNRESET == -ECONNRESET && CHAL_EKEYREJECTED == -EKEYREJECTED, "errno");
_Static_assert(CHAL_SIGHUP == SIGHUP && CHAL_SIGINT == SIGINT && CHAL_SIGTERM == SIGTERM, "signal numbers");

#ifndef OUTPOST_ARENA_BYTES
// The medium profile's size (the default build); the Makefile and the SwiftPM traits set the
// others. It holds the core state and the daemon's I/O buffers.
#define OUTPOST_ARENA_BYTES (3 * 1024 * 1024)
#endif

static uint8_t chal_arena_storage[OUTPOST_ARENA_BYTES] __attribute__((aligned(64)));

int64_t chal_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t chal_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const uint8_t *chal_env(const uint8_t *name) { return (const uint8_t *)getenv((const char *)name); }

int32_t chal_fd_identity(int32_t fd, uint64_t *device, uint64_t *inode) {
    struct stat st;
    if (fstat(fd, &st) < 0) return -errno;
    *device = (uint64_t)st.st_dev;
    *inode = (uint64_t)st.st_ino;
    return 0;
}

int64_t chal_random_bytes(uint8_t *buffer, int64_t count) {
    if (count < 0 || count > 256) return -EINVAL;
    int64_t done = 0;
    // getrandom returns at most 256 bytes whole once the pool is ready; a signal may cut it short.
    while (done < count) {
        ssize_t n = getrandom(buffer + done, (size_t)(count - done), 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        done += n;
    }
    return count;
}

// The process arguments are captured by a constructor so the Swift entry point needs no
// platform API to read them; glibc passes (argc, argv, envp) to constructors.
static int chal_saved_argc;
static char **chal_saved_argv;

__attribute__((constructor)) static void chal_capture_args(int argc, char **argv, char **envp) {
    (void)envp;
    chal_saved_argc = argc;
    chal_saved_argv = argv;
}

int32_t chal_argc(void) { return chal_saved_argc; }

const uint8_t *chal_argv(int32_t index) {
    if (index < 0 || index >= chal_saved_argc) return 0;
    return (const uint8_t *)chal_saved_argv[index];
}

void chal_exit(int32_t status) { _exit(status); }

int32_t chal_open(const uint8_t *path, int32_t mode) {
    int flags;
    switch (mode) {
    case CHAL_OPEN_READ: flags = O_RDONLY; break;
    case CHAL_OPEN_WRITE_CREATE: flags = O_WRONLY | O_CREAT | O_TRUNC; break;
    case CHAL_OPEN_READ_WRITE_CREATE: flags = O_RDWR | O_CREAT; break;
    default: return -EINVAL;
    }
    int fd = open((const char *)path, flags | O_CLOEXEC, 0644);
    return fd < 0 ? -errno : fd;
}

int64_t chal_read(int32_t fd, uint8_t *buffer, int64_t count) {
    for (;;) {
        ssize_t n = read(fd, buffer, (size_t)count);
        if (n >= 0) return n;
        if (errno != EINTR) return -errno;
    }
}

int64_t chal_write_all(int32_t fd, const uint8_t *buffer, int64_t count) {
    int64_t done = 0;
    while (done < count) {
        ssize_t n = write(fd, buffer + done, (size_t)(count - done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        done += n;
    }
    return count;
}

int32_t chal_close(int32_t fd) { return close(fd) < 0 ? -errno : 0; }

uint8_t *chal_arena(void) { return chal_arena_storage; }

int64_t chal_arena_bytes(void) { return (int64_t)sizeof(chal_arena_storage); }
