#!/usr/bin/env bash
# Regenerates the profiles' baked Isolation Forests, byte for byte, from fixed seeds:
#   outpost-tool gen (training data) -> train -> Profiles/<p>/model.opm
#   -> embed-model -> Sources/CProfileModels/model_<p>.c
# Every step runs twice and the two outputs must have the same SHA-256, so a change that makes
# training depend on anything but its inputs and seed fails here. At the end each model is
# evaluated on held-out data generated with another seed.
#
# Environment: OUTPOST_SCRATCH_PATH selects the SwiftPM scratch folder (default .build).
set -euo pipefail
cd "$(dirname "$0")/.."

scratch="${OUTPOST_SCRATCH_PATH:-.build}"
swift build -c release --product outpost-tool --scratch-path "$scratch" >&2
tool="$(swift build -c release --product outpost-tool --scratch-path "$scratch" --show-bin-path)/outpost-tool"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Training data: 100 sensors x 600 s at 1 reading/s. Anomalies start with probability 0.002 per
# reading (about 6% of rows anomalous) rather than the generator's reference 0.05 (about 60%):
# an Isolation Forest learns what is normal from data in which anomalies are few.
train_gen=(--sensors 100 --duration 600 --rate 1 --seed 100 --anomaly-probability 0.002)
# Held out: the same kind of data from another seed, and the reference anomaly rate.
holdout_gen=(--sensors 100 --duration 600 --rate 1 --seed 200 --anomaly-probability 0.002)
reference_gen=(--sensors 100 --duration 600 --rate 1 --seed 300)

same() {  # same FILE_A FILE_B WHAT: fail unless the two files have the same SHA-256
    local a b
    a="$(sha256sum "$1" | cut -d' ' -f1)"
    b="$(sha256sum "$2" | cut -d' ' -f1)"
    if [[ "$a" != "$b" ]]; then
        echo "make-models: $3 is not deterministic ($a vs $b)" >&2
        exit 1
    fi
}

"$tool" gen "${train_gen[@]}" --out "$work/train.csv"
"$tool" gen "${train_gen[@]}" --out "$work/train.again.csv"
same "$work/train.csv" "$work/train.again.csv" "gen"

# profile  trees  sample size  training seed
profiles=(
    "medium 50 256 11"
    "high 100 256 12"
    "test 10 64 13"
)
for entry in "${profiles[@]}"; do
    read -r name trees psi seed <<<"$entry"
    args=(--input "$work/train.csv" --trees "$trees" --sample-size "$psi" --seed "$seed" --contamination 0.05)
    echo "== $name: $trees trees, sample size $psi, seed $seed" >&2
    "$tool" train "${args[@]}" --out "$work/$name.opm"
    "$tool" train "${args[@]}" --out "$work/$name.again.opm" 2>/dev/null
    same "$work/$name.opm" "$work/$name.again.opm" "train ($name)"
    mkdir -p "Profiles/$name"
    cp "$work/$name.opm" "Profiles/$name/model.opm"
    "$tool" embed-model "Profiles/$name/model.opm" --name "$name" --out "Sources/CProfileModels/model_$name.c"
    "$tool" embed-model "Profiles/$name/model.opm" --name "$name" --out "$work/model_$name.again.c"
    same "Sources/CProfileModels/model_$name.c" "$work/model_$name.again.c" "embed-model ($name)"
done

"$tool" gen "${holdout_gen[@]}" --out "$work/holdout.csv"
"$tool" gen "${reference_gen[@]}" --out "$work/reference.csv"
for entry in "${profiles[@]}"; do
    read -r name _ <<<"$entry"
    echo "== eval $name on held-out data (seed 200, anomaly probability 0.002)"
    "$tool" eval --model "Profiles/$name/model.opm" --input "$work/holdout.csv"
    echo "== eval $name on held-out data (seed 300, reference anomaly probability 0.05)"
    "$tool" eval --model "Profiles/$name/model.opm" --input "$work/reference.csv"
done

echo "== SHA-256 of the generated files"
sha256sum Profiles/{medium,high,test}/model.opm Sources/CProfileModels/model_{medium,high,test}.c
