#!/usr/bin/env python3
"""Writes a fitted scikit-learn IsolationForest, saved with joblib, as JSON for
`outpost-tool import` (the document is described field by field in docs/SKLEARN_IMPORT.md).

usage: python3 scripts/export_sklearn.py FITTED.joblib > trees.json

Each tree's node arrays are copied from sklearn's `tree_` with every split's feature index
mapped to the column of the data the forest was fitted on (sklearn fits each tree on its
`estimators_features_`; with max_features < 1.0 that is a subset). Exit status 2 when the file
holds something else than a fitted IsolationForest.
"""
import json
import sys


def export(forest):
    from sklearn.ensemble import IsolationForest
    if not isinstance(forest, IsolationForest):
        raise ValueError(f"not an IsolationForest but {type(forest).__name__}")
    if not hasattr(forest, "estimators_"):
        raise ValueError("the IsolationForest is not fitted")
    n_features = int(forest.n_features_in_)
    trees = []
    for estimator, features in zip(forest.estimators_, forest.estimators_features_):
        tree = estimator.tree_
        columns = [int(c) for c in features]
        feature = []
        for node in range(tree.node_count):
            if tree.children_left[node] < 0:
                feature.append(-2)  # a leaf, as sklearn marks it
            else:
                feature.append(columns[int(tree.feature[node])])
        trees.append({
            "children_left": [int(v) for v in tree.children_left],
            "children_right": [int(v) for v in tree.children_right],
            "feature": feature,
            "threshold": [float(v) for v in tree.threshold],
            "n_node_samples": [int(v) for v in tree.n_node_samples],
        })
    document = {
        "format": "outpost-sklearn-isolation-forest",
        "version": 1,
        "sklearn_version": __import__("sklearn").__version__,
        "n_features_in": n_features,
        "max_samples": int(forest.max_samples_),
        "offset": float(forest.offset_),
        "trees": trees,
    }
    names = getattr(forest, "feature_names_in_", None)
    if names is not None:
        document["feature_names_in"] = [str(n) for n in names]
    return document


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr if len(argv) != 2 else sys.stdout)
        return 0 if len(argv) == 2 else 2
    try:
        import joblib
    except ImportError:
        print("export_sklearn: needs joblib and scikit-learn (scripts/ensure-tools.sh venv; build/venv/bin/python)", file=sys.stderr)
        return 1
    try:
        forest = joblib.load(argv[1])
        document = export(forest)
    except (OSError, ValueError, EOFError) as error:
        print(f"export_sklearn: {argv[1]}: {error}", file=sys.stderr)
        return 2
    json.dump(document, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
