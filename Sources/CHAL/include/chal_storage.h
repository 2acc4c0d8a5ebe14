// CHAL storage: the file operations behind the flash-like log (see chal.h for the rules).
//
// The log is one preallocated file of fixed size, read and written at explicit offsets and made
// durable with fdatasync. Every call returns >= 0 on success or a negative errno; "no space" comes
// back as -ENOSPC (or -EFBIG / -EDQUOT from a size limit or quota), so the caller can tell a full
// disk from a failing one.
#ifndef CHAL_STORAGE_H
#define CHAL_STORAGE_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opens (creating when absent) the NUL-terminated `path` for reading and writing and makes sure
/// `size_bytes` bytes are allocated on disk (posix_fallocate), so later writes inside the file
/// cannot run out of space. An existing larger file keeps its size. Returns a descriptor or -errno
/// (-ENOSPC / -EFBIG when the space cannot be reserved; the file is then left as it was created).
int32_t chal_storage_open(const uint8_t *path, int64_t size_bytes);
/// Opens an existing file read-only (inspection tools). Returns a descriptor or -errno.
int32_t chal_storage_open_read_only(const uint8_t *path);
/// Reads exactly `count` bytes at `offset` (looping over short reads, retrying EINTR). Returns the
/// byte count, or -EIO when the file ends first, or -errno.
int64_t chal_storage_pread(int32_t fd, uint8_t *buffer, int64_t count, int64_t offset);
/// Writes exactly `count` bytes at `offset` (looping over short writes, retrying EINTR). Returns
/// `count` or -errno.
int64_t chal_storage_pwrite(int32_t fd, const uint8_t *buffer, int64_t count, int64_t offset);
/// fdatasync: returns 0 or -errno. Never retried by the caller (a failed sync may have dropped pages).
int32_t chal_storage_sync(int32_t fd);
/// Size of the open file in bytes, or -errno.
int64_t chal_storage_size(int32_t fd);
/// Closes the descriptor; returns 0 or -errno.
int32_t chal_storage_close(int32_t fd);

#ifdef __cplusplus
}
#endif
#endif
