"""Agreement and confusion matrix of a ``bci-desktop run --jsonl`` file against its truth.

bci-desktop run --board simulated --speed max --duration 600 --jsonl /tmp/p.jsonl
python benchmarks/confusion.py /tmp/p.jsonl
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    labelled = [r for r in records if r["withheld"] is None and r["truth"] is not None]
    if not labelled:
        print("no labelled predictions with a known truth", file=sys.stderr)
        return 1
    classes = list(labelled[0]["probabilities"])
    matrix = {t: dict.fromkeys(classes, 0) for t in classes}
    for r in labelled:
        matrix[r["truth"]][r["label"]] += 1
    agree = sum(matrix[c][c] for c in classes) / len(labelled)
    print(f"{len(records)} predictions, {len(records) - len(labelled)} withheld or without truth")
    print(f"agreement with truth: {100 * agree:.1f}% of {len(labelled)} windows")
    print("confusion matrix (rows: truth, columns: prediction)")
    print(f"{'':<10}" + "".join(f"{c:>10}" for c in classes))
    for t in classes:
        print(f"{t:<10}" + "".join(f"{matrix[t][c]:>10}" for c in classes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
