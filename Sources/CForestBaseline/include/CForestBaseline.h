// A plain C evaluator of the Outpost forest node table (docs/MODEL_FORMAT.md), used only by the
// benchmark as the baseline the Swift evaluator is compared against.
//
// It trusts its input: pass only a model that `ForestModel(bytes:)` accepted. `forest_c_open`
// checks just the magic, version and size, enough to find the tables.
#ifndef CFOREST_BASELINE_H
#define CFOREST_BASELINE_H
#include <stdint.h>

/// The tables of a model, found once by `forest_c_open`.
typedef struct forest_c_model {
    const uint8_t *roots;  ///< tree table: tree_count little-endian uint32 root indices
    const uint8_t *nodes;  ///< node table: 8-byte nodes
    uint32_t feature_count;
    uint32_t tree_count;
} forest_c_model;

/// Finds the tables of the format v1 model in `bytes[0..<size]`. Returns 0, or -1 when the bytes
/// are not a v1 model of that size.
int forest_c_open(forest_c_model *model, const uint8_t *bytes, uint32_t size);

/// Σ over trees of the leaf h (Q16) for one sample of feature_count model-scaled inputs.
int64_t forest_c_model_path_sum(const forest_c_model *model, const int32_t *inputs);

/// The same, reading the header of `model` (a validated v1 model) on every call.
int64_t forest_c_path_sum(const uint8_t *model, const int32_t *inputs);

#endif
