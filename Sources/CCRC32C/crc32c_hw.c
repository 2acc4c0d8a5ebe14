// Hardware CRC-32C for the log and the model trailer (see ccrc32c.h). Each function that uses the
// instructions carries a target attribute, so the file builds with the board's default flags and
// the instructions only run after the CPU check said they exist. Also the portable slicing-by-8
// code, whose 8 KiB of tables are computed once into .bss rather than stored in the binary.
#include "ccrc32c.h"
#include <pthread.h>

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

// ---- portable slicing-by-8 ----------------------------------------------------------------------
// Eight tables of 256 entries. Slice 0 is the byte-at-a-time table: entry i is the register after
// shifting byte i through 8 rounds of the reflected polynomial. Slice k > 0 is the effect of byte i
// followed by k zero bytes: slice[k][i] = (slice[k-1][i] >> 8) ^ slice[0][slice[k-1][i] & 0xFF].
// Built on first use (2 048 entries, a few microseconds): in .bss they cost no file bytes, where
// constants cost 8 KiB of every firmware binary.
static uint32_t portable_tables[8][256];
static pthread_once_t portable_tables_once = PTHREAD_ONCE_INIT;

static void build_portable_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i;
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        portable_tables[0][i] = crc;
    }
    for (int slice = 1; slice < 8; slice++) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t previous = portable_tables[slice - 1][i];
            portable_tables[slice][i] = (previous >> 8) ^ portable_tables[0][previous & 0xFF];
        }
    }
}

uint32_t outpost_crc32c_update_portable(uint32_t state, const uint8_t *bytes, uintptr_t count) {
    // pthread_once: host tests checksum from several threads at once.
    pthread_once(&portable_tables_once, build_portable_tables);
    const uint32_t (*t)[256] = (const uint32_t (*)[256])portable_tables;
    uint32_t crc = state;
    // Eight bytes per step while at least eight are left: the register is XORed into the first
    // four (the reflected CRC consumes low bytes first), and each of the eight bytes is looked up
    // in the table for its distance from the end of the step; the XOR of the eight entries is the
    // register after those eight bytes. Bytes are combined one by one, so any alignment and either
    // byte order works.
    while (count >= 8) {
        uint32_t low = ((uint32_t)bytes[0] | ((uint32_t)bytes[1] << 8) | ((uint32_t)bytes[2] << 16) | ((uint32_t)bytes[3] << 24)) ^ crc;
        crc = t[7][low & 0xFF] ^ t[6][(low >> 8) & 0xFF] ^ t[5][(low >> 16) & 0xFF] ^ t[4][low >> 24]
            ^ t[3][bytes[4]] ^ t[2][bytes[5]] ^ t[1][bytes[6]] ^ t[0][bytes[7]];
        bytes += 8;
        count -= 8;
    }
    // The last 0-7 bytes one at a time.
    while (count > 0) {
        crc = (crc >> 8) ^ t[0][(crc ^ *bytes) & 0xFF];
        bytes++;
        count--;
    }
    return crc;
}
