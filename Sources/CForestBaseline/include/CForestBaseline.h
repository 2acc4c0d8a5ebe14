// A plain C evaluator of the Outpost forest node table (docs/MODEL_FORMAT.md), used only by the
// benchmark as the baseline the Swift evaluator is compared against.
#ifndef CFOREST_BASELINE_H
#define CFOREST_BASELINE_H
#include <stdint.h>
#endif
