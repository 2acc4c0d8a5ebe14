// CRC-32C (Castagnoli) with the CPU's own instruction where there is one: SSE4.2 `crc32` on
// x86_64, the ARMv8 CRC extension on aarch64. OutpostCore uses it when
// `outpost_crc32c_hardware()` says so and its portable slicing-by-8 code otherwise (armv7 has no
// CRC instruction). <stdint.h> types only, so the header imports into an Embedded Swift compile
// for a `-none-` triple; the CPU check lives in the .c file, built by the board's compiler.
#ifndef CCRC32C_H
#define CCRC32C_H
#include <stdint.h>

/// 1 when the CPU has CRC-32C instructions, 0 when not, -1 before the first check.
extern int32_t outpost_crc32c_hardware_state;

/// Checks the CPU (cpuid / AT_HWCAP) and returns 1 or 0; the result is cached.
int32_t outpost_crc32c_probe(void);

/// 1 when `outpost_crc32c_update_hardware` may be called. One relaxed load after the first call.
static inline int32_t outpost_crc32c_hardware(void) {
    int32_t state = __atomic_load_n(&outpost_crc32c_hardware_state, __ATOMIC_RELAXED);
    return state >= 0 ? state : outpost_crc32c_probe();
}

/// The CRC register (pre-inversion, as `CRC32C.state`) after feeding `count` bytes at `bytes`
/// (any alignment) to `state`. Only when `outpost_crc32c_hardware()` returned 1; on a CPU without
/// the instructions it still returns the right value, bit by bit, slowly.
uint32_t outpost_crc32c_update_hardware(uint32_t state, const uint8_t *bytes, uintptr_t count);

/// The CRC register after feeding `count` bytes at `bytes` (any alignment) to `state`, with the
/// portable slicing-by-8 tables, whatever the CPU has (the fallback of `CRC32C.update`). The tables
/// are built on the first call (thread-safe), into .bss.
uint32_t outpost_crc32c_update_portable(uint32_t state, const uint8_t *bytes, uintptr_t count);

#endif
