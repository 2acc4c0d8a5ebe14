// LD_PRELOAD fault for the daemon's fail-stop test: once the file named by
// OUTPOST_FAIL_SYNC_FLAG exists, every fdatasync/fsync fails with EIO (as a dying flash card's
// would). Before that they go to the C library's. Built by scripts/build-interop-tools.sh into
// build/interop/libfail_sync_preload.so. Only for tests: it sits below CHAL, like the kernel.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

typedef int (*sync_function)(int);

static int armed(void) {
    const char *flag = getenv("OUTPOST_FAIL_SYNC_FLAG");
    return flag != NULL && access(flag, F_OK) == 0;
}

int fdatasync(int fd) {
    if (armed()) {
        errno = EIO;
        return -1;
    }
    sync_function real = (sync_function)dlsym(RTLD_NEXT, "fdatasync");
    return real(fd);
}

int fsync(int fd) {
    if (armed()) {
        errno = EIO;
        return -1;
    }
    sync_function real = (sync_function)dlsym(RTLD_NEXT, "fsync");
    return real(fd);
}
