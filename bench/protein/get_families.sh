#!/usr/bin/env bash
# Extracts the protein panel's alignments and labels (bench/protein/families.tsv) from git
# mirrors of their source repositories, checks each file's sha256 against the panel, and turns
# each set's labels into vaebio's mutation file (bench/protein/labels.py).
#   bash bench/protein/get_families.sh [NAME...]      (default: every set in the panel)
# MIRRORS: a folder holding one git directory per source repository, named OWNER+NAME/repo
# (default /work/.mirror, e.g. /work/.mirror/OATML-Markslab+EVE/repo), each a clone of
# github.com/OWNER/NAME holding the pinned commit (`git clone --bare` works). OUT (default
# bench/out/protein-panel, git-ignored) gets sources/ (the extracted files) and one folder per
# set (mutations.txt, labels.tsv, site_scores.tsv, prepare.json). Needs bench/.venv (numpy,
# pandas, scipy, scikit-learn) or PYTHON.
set -euo pipefail
cd "$(dirname "$0")/../.."
mirrors=${MIRRORS:-/work/.mirror}
out=${OUT:-bench/out/protein-panel}
py=${PYTHON:-bench/.venv/bin/python}
mkdir -p "$out/sources"

# extract REPO@COMMIT:PATH SHA256 -> prints the local file's path; fails on a checksum mismatch.
extract() {
    local source=$1 sha=$2
    local repo=${source%%@*} rest=${source#*@}
    local commit=${rest%%:*} path=${rest#*:}
    local git_dir=$mirrors/${repo/\//+}/repo
    local file=$out/sources/${repo/\//+}/$path
    if [ ! -f "$file" ]; then
        mkdir -p "$(dirname "$file")"
        git -C "$git_dir" show "$commit:$path" > "$file.part" ||
            { echo "$source: not in $git_dir (clone github.com/$repo there, or set MIRRORS)" >&2; exit 1; }
        mv "$file.part" "$file"
    fi
    local got
    got=$(sha256sum < "$file" | cut -c1-64)
    if [ "$got" != "$sha" ]; then
        echo "$file: sha256 $got, the panel says $sha; delete it and rerun" >&2
        exit 1
    fi
    echo "$file"
}

export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
grep -v '^#' bench/protein/families.tsv | tail -n +2 |
while IFS=$'\t' read -r name half alignment alignment_sha _ labels labels_sha kind label_column _; do
    if [ $# -gt 0 ] && [[ ! " $* " =~ " $name " ]]; then
        continue
    fi
    msa=$(extract "$alignment" "$alignment_sha")
    table=$(extract "$labels" "$labels_sha")
    "$py" bench/protein/labels.py "$msa" "$table" "$kind" "$label_column" "$out/$name"
    echo "$msa" > "$out/$name/alignment_path"
done
