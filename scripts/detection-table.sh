#!/usr/bin/env bash
# The detection table of docs/DETECTION.md: per anomaly type, recall at the model's threshold and
# ROC AUC, for a model on the values alone and models with context inputs, on outpost-tool gen
# data with fixed seeds. Prints a Markdown table on standard output.
#
# Usage: [CONTAMINATION=Q] scripts/detection-table.sh [TOOL] [WORKDIR]
#   TOOL     the outpost-tool binary (default: built with swift build -c release)
#   WORKDIR  where the CSVs and models go (default build/detection)
#   CONTAMINATION  train's --contamination, the share of training rows the threshold flags
#            (default 0.05, train's default)
# Train: 50 sensors × 1200 s at 1 reading/s, seed 1, anomaly probability 0.005 (about 13 % of the
# rows anomalous, every kind). Test: the same sizes, seed 2, one data set per --anomaly-kind.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
read -r -a SWIFTPM <<< "${SWIFTPM_FLAGS:-}"
tool=${1:-}
if [ -z "$tool" ]; then
    "$SWIFT" build "${SWIFTPM[@]}" -c release --product outpost-tool >&2
    tool="$("$SWIFT" build "${SWIFTPM[@]}" -c release --show-bin-path)/outpost-tool"
fi
work=${2:-build/detection}
contamination=${CONTAMINATION:-0.05}
mkdir -p "$work"
gen=(--sensors 50 --duration 1200 --anomaly-probability 0.005)
"$tool" gen "${gen[@]}" --seed 1 --out "$work/train.csv"
kinds=(temperature vibration power multiple)
for kind in "${kinds[@]}"; do
    "$tool" gen "${gen[@]}" --seed 2 --anomaly-kind "$kind" --out "$work/test-$kind.csv"
done
# name|--context value ("" = values only)
variants=(
    "values only|"
    "+ z (all five)|z"
    "+ z (temperature, vibration, power)|temperature:z,vibration:z,power_consumption:z"
    "+ rate (all five)|rate"
    "+ lag1 (all five)|lag1"
    "+ z, rate (all five)|z,rate"
)
printf '| inputs | %s |\n' "$(printf '%s recall / AUC | ' "${kinds[@]}" | sed 's/ | $//')"
printf '|---|%s\n' "$(printf -- '---|%.0s' "${kinds[@]}")"
for variant in "${variants[@]}"; do
    name=${variant%%|*}
    context=${variant#*|}
    model="$work/model.opm"
    if [ -z "$context" ]; then
        "$tool" train --input "$work/train.csv" --out "$model" --profile medium --contamination "$contamination" 2>/dev/null
    else
        "$tool" train --input "$work/train.csv" --out "$model" --profile medium --contamination "$contamination" --context "$context" 2>/dev/null
    fi
    row="| $name |"
    for kind in "${kinds[@]}"; do
        figures=$("$tool" eval --model "$model" --input "$work/test-$kind.csv")
        recall=$(awk '$1 == "recall" {print $2}' <<< "$figures")
        auc=$(awk '$1 == "roc_auc" {print $2}' <<< "$figures")
        row="$row $recall / $auc |"
    done
    echo "$row"
done
