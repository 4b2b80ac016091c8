#!/usr/bin/env python3
"""Rewrite a jgi depth table as a plain `id<TAB>sample...` table after a transform, to test how
vaebio's `--abundance` would do with another depth transform. Written for vaebio before
`vaebio_io::abundance` (which fed `--abundance` columns as given); vaebio now applies the `vamb`
transform itself (and refuses negative values), so use these tables with a build of an
earlier commit, or with PCA (`pca.py`).

- `raw`: the per-sample mean depths as they are (what vaebio fed before `vaebio_io::abundance`).
- `log`: log(depth + PSEUDO) per sample (PSEUDO 1 by default).
- `vamb`: VAMB 5's input (`vamb/encode.py`, `make_dataloader`): each sample scaled to a total
  of 10^6, each contig's row divided by its sum (a profile summing to 1), plus one column
  log(row total) (clipped at 0.001). VAMB scores the profile by cross-entropy after a softmax;
  here it is z-scored and scored by squared error like every vaebio column.
- `profile`: the `vamb` profile without the log-total column.

    python3 bench/contigs/transform_depth.py depth.txt --transform log -o depth_log.tsv
"""
import argparse

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("depth", help="jgi_summarize_bam_contig_depths table")
    p.add_argument("--transform", choices=["raw", "log", "vamb", "profile"], required=True)
    p.add_argument("--pseudo", type=float, default=1.0, help="pseudo-count for `log`")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args()
    with open(args.depth) as handle:
        header = handle.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in handle if line.strip()]
    samples = [i for i in range(3, len(header)) if not header[i].endswith("-var")]
    ids = [row[0] for row in rows]
    depth = np.array([[float(row[i]) for i in samples] for row in rows])
    names = [header[i] for i in samples]
    if args.transform == "log":
        values = np.log(depth + args.pseudo)
    elif args.transform in ("vamb", "profile"):
        scaled = depth * (1e6 / depth.sum(axis=0))
        total = scaled.sum(axis=1)
        profile = np.where(total[:, None] > 0, scaled / np.where(total > 0, total, 1)[:, None],
                           1 / depth.shape[1])
        values = profile
        if args.transform == "vamb":
            values = np.hstack([profile, np.log(total.clip(min=0.001))[:, None]])
            names = names + ["log_total"]
    else:
        values = depth
    with open(args.output, "w") as out:
        out.write("id\t" + "\t".join(names) + "\n")
        for name, row in zip(ids, values):
            out.write(name + "\t" + "\t".join(f"{v:.6g}" for v in row) + "\n")


if __name__ == "__main__":
    main()
