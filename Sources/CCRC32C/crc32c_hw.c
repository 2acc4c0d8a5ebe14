// Hardware CRC-32C for the log and the model trailer (see ccrc32c.h). Each function that uses the
// instructions carries a target attribute, so the file builds with the board's default flags and
// the instructions only run after the CPU check said they exist.
#include "ccrc32c.h"

#if defined(__x86_64__)
#include <cpuid.h>
#define OUTPOST_CRC32C_HW 1
#define OUTPOST_CRC32C_TARGET __attribute__((target("sse4.2")))
#elif defined(__aarch64__)
#include <sys/auxv.h>
#define OUTPOST_CRC32C_HW 1
#if defined(__clang__)
#define OUTPOST_CRC32C_TARGET __attribute__((target("crc")))
#else
#define OUTPOST_CRC32C_TARGET __attribute__((target("+crc")))
#endif
#else
#define OUTPOST_CRC32C_HW 0
#endif

int32_t outpost_crc32c_hardware_state = -1;

int32_t outpost_crc32c_probe(void) {
    int32_t present = 0;
#if defined(__x86_64__)
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    // CPUID leaf 1, ECX bit 20: SSE4.2, which brings the crc32 instruction (Castagnoli polynomial).
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 20)) != 0) present = 1;
#elif defined(__aarch64__)
    // HWCAP_CRC32 is bit 7 of AT_HWCAP on Linux/aarch64 (asm/hwcap.h); spelled out so the file
    // needs no kernel header.
    if ((getauxval(AT_HWCAP) & (1ul << 7)) != 0) present = 1;
#endif
    // Every thread computes the same value, so a race between two first calls is harmless.
    __atomic_store_n(&outpost_crc32c_hardware_state, present, __ATOMIC_RELAXED);
    return present;
}

/// Reflected Castagnoli polynomial, bit by bit: the fallback when no instruction exists.
static uint32_t update_bitwise(uint32_t crc, const uint8_t *bytes, uintptr_t count) {
    for (uintptr_t i = 0; i < count; i++) {
        crc ^= bytes[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return crc;
}

#if OUTPOST_CRC32C_HW
#if defined(__x86_64__)
OUTPOST_CRC32C_TARGET static inline uint64_t step64(uint64_t crc, uint64_t word) { return __builtin_ia32_crc32di(crc, word); }
OUTPOST_CRC32C_TARGET static inline uint32_t step32(uint32_t crc, uint32_t word) { return __builtin_ia32_crc32si(crc, word); }
OUTPOST_CRC32C_TARGET static inline uint32_t step16(uint32_t crc, uint16_t half) { return __builtin_ia32_crc32hi(crc, half); }
OUTPOST_CRC32C_TARGET static inline uint32_t step8(uint32_t crc, uint8_t byte) { return __builtin_ia32_crc32qi(crc, byte); }
#else
#include <arm_acle.h>
OUTPOST_CRC32C_TARGET static inline uint64_t step64(uint64_t crc, uint64_t word) { return __crc32cd((uint32_t)crc, word); }
OUTPOST_CRC32C_TARGET static inline uint32_t step32(uint32_t crc, uint32_t word) { return __crc32cw(crc, word); }
OUTPOST_CRC32C_TARGET static inline uint32_t step16(uint32_t crc, uint16_t half) { return __crc32ch(crc, half); }
OUTPOST_CRC32C_TARGET static inline uint32_t step8(uint32_t crc, uint8_t byte) { return __crc32cb(crc, byte); }
#endif

// Eight bytes per instruction, then at most one 4-, 2- and 1-byte step for the tail (each step
// is a dependent instruction, so a 7-byte tail costs three, not seven). Words are loaded with
// memcpy (any alignment; little-endian on both architectures, the order the reflected CRC
// consumes bytes in).
OUTPOST_CRC32C_TARGET static uint32_t update_hardware(uint32_t state, const uint8_t *bytes, uintptr_t count) {
    uint64_t crc = state;
    while (count >= 8) {
        uint64_t word;
        __builtin_memcpy(&word, bytes, 8);
        crc = step64(crc, word);
        bytes += 8;
        count -= 8;
    }
    uint32_t crc32 = (uint32_t)crc;
    if (count & 4) {
        uint32_t word;
        __builtin_memcpy(&word, bytes, 4);
        crc32 = step32(crc32, word);
        bytes += 4;
    }
    if (count & 2) {
        uint16_t half;
        __builtin_memcpy(&half, bytes, 2);
        crc32 = step16(crc32, half);
        bytes += 2;
    }
    if (count & 1) crc32 = step8(crc32, *bytes);
    return crc32;
}
#endif

uint32_t outpost_crc32c_update_hardware(uint32_t state, const uint8_t *bytes, uintptr_t count) {
#if OUTPOST_CRC32C_HW
    if (outpost_crc32c_hardware()) return update_hardware(state, bytes, count);
#endif
    return update_bitwise(state, bytes, count);
}
