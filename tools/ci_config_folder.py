"""The command line the configs/ci generators share: write one config per case into a folder (by default
configs/ci/<kernel>), and delete the *.json files there that the generator did not write."""

import argparse
import json
import os


def generate(doc, kernel_folder, cases, name, config):
    """`name(case)` gives the file's stem and `config(case)` its JSON document."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "configs", "ci",
                                                      kernel_folder))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    written = set()
    for case in cases:
        file = name(case) + ".json"
        with open(os.path.join(args.out, file), "w") as f:
            json.dump(config(case), f, indent=2)
            f.write("\n")
        written.add(file)
    for old in os.listdir(args.out):
        if old.endswith(".json") and old not in written:
            os.remove(os.path.join(args.out, old))
    print(f"wrote {len(written)} configs to {args.out}")
