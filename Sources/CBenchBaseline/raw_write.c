// The raw sequential write the log append rate is compared with: the same bytes, the same chunk
// size, one pwrite per chunk into a preallocated file, no sync — what a minimal C logger would do.
#define _GNU_SOURCE
#include "CBenchBaseline.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bench_raw_sequential_write(const uint8_t *path, const uint8_t *chunk, int64_t chunk_bytes, int64_t total_bytes) {
    int fd = open((const char *)path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int64_t start = now_ns();
    int64_t offset = 0;
    while (offset < total_bytes) {
        int64_t count = total_bytes - offset < chunk_bytes ? total_bytes - offset : chunk_bytes;
        ssize_t written = pwrite(fd, chunk, (size_t)count, (off_t)offset);
        if (written <= 0) {
            int error = written < 0 ? errno : EIO;
            close(fd);
            return -error;
        }
        offset += written;
    }
    int64_t elapsed = now_ns() - start;
    close(fd);
    return elapsed;
}
