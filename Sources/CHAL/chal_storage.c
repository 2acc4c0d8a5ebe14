// POSIX implementation of CHAL storage (see include/chal_storage.h). Every failure is -errno.
#define _GNU_SOURCE
#include "chal_storage.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int32_t chal_storage_open(const uint8_t *path, int64_t size_bytes) {
    if (size_bytes < 0) return -EINVAL;
    int fd = open((const char *)path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if ((int64_t)st.st_size < size_bytes) {
        // posix_fallocate returns the error number instead of setting errno; it is retried on
        // EINTR because a signal may interrupt glibc's write-based emulation.
        int rc;
        int attempts = 0;
        do {
            rc = posix_fallocate(fd, 0, (off_t)size_bytes);
            attempts++;
        } while (rc == EINTR && attempts < 100);
        if (rc != 0) {
            close(fd);
            return -rc;
        }
    }
    return fd;
}

int32_t chal_storage_open_read_only(const uint8_t *path) {
    int fd = open((const char *)path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int64_t chal_storage_pread(int32_t fd, uint8_t *buffer, int64_t count, int64_t offset) {
    if (count < 0 || offset < 0) return -EINVAL;
    int64_t done = 0;
    while (done < count) {
        ssize_t n = pread(fd, buffer + done, (size_t)(count - done), (off_t)(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) return -EIO;  // the file ends inside the range: a truncated log
        done += n;
    }
    return done;
}

int64_t chal_storage_pwrite(int32_t fd, const uint8_t *buffer, int64_t count, int64_t offset) {
    if (count < 0 || offset < 0) return -EINVAL;
    int64_t done = 0;
    while (done < count) {
        ssize_t n = pwrite(fd, buffer + done, (size_t)(count - done), (off_t)(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        if (n == 0) return -ENOSPC;
        done += n;
    }
    return done;
}

int32_t chal_storage_sync(int32_t fd) { return fdatasync(fd) != 0 ? -errno : 0; }

int64_t chal_storage_size(int32_t fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -errno;
    return (int64_t)st.st_size;
}

int32_t chal_storage_close(int32_t fd) { return close(fd) != 0 ? -errno : 0; }
