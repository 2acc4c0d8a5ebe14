// A straightforward C walk over the format v1 node table: one sample, one tree at a time,
// following `x <= threshold ? left : right` until a leaf. No batching, no tricks: the honest
// baseline the Swift evaluator's single-sample path is measured against.
#include "CForestBaseline.h"

#include <string.h>

// Little-endian reads at any alignment (memcpy compiles to a plain load).
static inline uint16_t rd16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap16(v);
#endif
    return v;
}

static inline uint32_t rd32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

enum { HEADER_BYTES = 40, FEATURE_BYTES = 20, NODE_BYTES = 8, LEAF = 0xFFFF };

int forest_c_open(forest_c_model *model, const uint8_t *bytes, uint32_t size) {
    if (size < HEADER_BYTES + 4 || memcmp(bytes, "OPIF", 4) != 0 || rd16(bytes + 4) != 1) return -1;
    uint32_t features = rd16(bytes + 8), trees = rd16(bytes + 10), nodes = rd32(bytes + 16);
    uint64_t expected = HEADER_BYTES + (uint64_t)features * FEATURE_BYTES + (uint64_t)trees * 4
        + (uint64_t)nodes * NODE_BYTES + 4;
    if (expected != size) return -1;
    model->feature_count = features;
    model->tree_count = trees;
    model->roots = bytes + HEADER_BYTES + features * FEATURE_BYTES;
    model->nodes = model->roots + trees * 4;
    return 0;
}

int64_t forest_c_model_path_sum(const forest_c_model *model, const int32_t *inputs) {
    const uint8_t *nodes = model->nodes;
    int64_t sum = 0;
    for (uint32_t t = 0; t < model->tree_count; t++) {
        uint32_t i = rd32(model->roots + 4 * t);
        for (;;) {
            const uint8_t *node = nodes + (uint64_t)i * NODE_BYTES;
            // The whole node up front, as the Swift walk reads it.
            uint16_t feature = rd16(node);
            uint16_t right = rd16(node + 2);
            int32_t value = (int32_t)rd32(node + 4);
            if (feature == LEAF) {
                sum += value;
                break;
            }
            i += inputs[feature] <= value ? 1u : right;
        }
    }
    return sum;
}

int64_t forest_c_path_sum(const uint8_t *model, const int32_t *inputs) {
    forest_c_model m;
    uint32_t features = rd16(model + 8), trees = rd16(model + 10);
    m.feature_count = features;
    m.tree_count = trees;
    m.roots = model + HEADER_BYTES + features * FEATURE_BYTES;
    m.nodes = m.roots + trees * 4;
    return forest_c_model_path_sum(&m, inputs);
}
