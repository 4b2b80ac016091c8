#!/usr/bin/env python3
"""The binary's secondary inputs, mutated: what the cargo-fuzz targets (readers only) do not
reach. Each case takes a valid file from testdata/ (or a small model it trains first), damages
it (truncated, bytes flipped / inserted / deleted / zeroed, a line repeated, a field made NaN,
inf, empty or 1e999, a field added) and runs the subcommand that reads it. Reported: a panic,
a signal or a hang (60 s), an error of more than one line, and an output left after an error.

    python3 fuzz/cli_inputs.py --vaebio target/release/vaebio [--seed 1] [--runs 25]

Cases: mutation files (`score`), labels and latent tables (`evaluate`, `plot`, `bin
--latent`), depth and aemb tables, batch and covariate tables, VCFs read by a saved genotype
model (`encode`, `reconstruct`), count matrices (`embed`), and a model's config.json and
model.safetensors (`encode`). Work files go to a temporary folder.
"""

import argparse
import os
import random
import shutil
import subprocess
import tempfile

T = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")


def mutate(rng, data):
    d = bytearray(data)
    kind = rng.choice(["trunc", "flip", "ins", "del", "dupline", "zero", "nan", "tab"])
    if not d:
        return d, kind
    if kind == "trunc":
        d = d[:rng.randrange(len(d))]
    elif kind == "flip":
        for _ in range(rng.choice([1, 3, 10])):
            d[rng.randrange(len(d))] = rng.randrange(256)
    elif kind == "ins":
        p = rng.randrange(len(d))
        d[p:p] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
    elif kind == "del":
        p = rng.randrange(len(d))
        del d[p:p + rng.randrange(1, 200)]
    elif kind == "zero":
        p, n = rng.randrange(len(d)), rng.randrange(1, 64)
        d[p:p + n] = bytes(min(n, len(d) - p))
    elif kind == "dupline":
        lines = bytes(d).split(b"\n")
        k = rng.randrange(len(lines))
        lines.insert(k, lines[k])
        d = bytearray(b"\n".join(lines))
    elif kind == "nan":
        fields = bytes(d).split(b"\t")
        fields[rng.randrange(len(fields))] = rng.choice([b"NaN", b"inf", b"-1e400", b"", b"1e999"])
        d = bytearray(b"\t".join(fields))
    elif kind == "tab":
        lines = bytes(d).split(b"\n")
        k = rng.randrange(len(lines))
        lines[k] += b"\textra"
        d = bytearray(b"\n".join(lines))
    return d, kind


def fixtures(vaebio, work):
    """Small models and tables the cases read: a latent of the test contigs, a protein model,
    a count model with batches, a genotype model, a depth table per contig, covariates."""
    run = lambda *args: subprocess.run([vaebio, *args, "-q"], check=True)
    run("embed", "--fasta", f"{T}/contigs.fa", "--epochs", "2", "-o", f"{work}/lat.tsv")
    run("train", "--msa", f"{T}/family.a2m", "--epochs", "2", "-o", f"{work}/protein")
    run("train", "--matrix", f"{T}/counts2batch.tsv", "--batch", f"{T}/counts2batch_batches.tsv",
        "--epochs", "2", "-o", f"{work}/counts")
    run("train", "--vcf", f"{T}/popgen2.vcf", "--epochs", "2", "-o", f"{work}/genotypes")
    rng = random.Random(3)
    contigs = [line.split()[0][1:] for line in open(f"{T}/contigs.fa") if line.startswith(">")]
    with open(f"{work}/s1.tsv", "w") as out:
        out.writelines(f"{c}\t{rng.uniform(0, 30):.4f}\n" for c in contigs)
    cells = open(f"{T}/counts2batch.tsv").readline().rstrip("\n").split("\t")[1:]
    with open(f"{work}/cov.tsv", "w") as out:
        out.write("id\tdonor\tage\n")
        out.writelines(f"{c}\td{rng.randrange(3)}\t{rng.uniform(20, 80):.1f}\n" for c in cells)
    focus = open(f"{T}/family.a2m").read().split(">")[1].split("\n", 1)[1].replace("\n", "")
    with open(f"{work}/mutations.txt", "w") as out:
        position = 5  # the focus is SYNTH_HUMAN/5-127
        for residue in focus:
            if residue.isupper():
                out.write(f"{residue}{position}{'G' if residue == 'A' else 'A'}\n")
            if residue != ".":
                position += 1


def cases(vaebio, w):
    """(name, the file mutated, the command given its damaged copy and the output path)."""
    b, counts = vaebio, ["--matrix", f"{T}/counts2batch.tsv", "--batch", f"{T}/counts2batch_batches.tsv"]
    return [
        ("mutations", f"{w}/mutations.txt", lambda p, o: [b, "score", "--model", f"{w}/protein", "--msa", f"{T}/family.a2m", "--mutations", p, "--samples", "2", "-o", o, "-q"]),
        ("labels", f"{T}/contigs_labels.tsv", lambda p, o: [b, "evaluate", "--latent", f"{w}/lat.tsv", "--labels", p]),
        ("latent", f"{w}/lat.tsv", lambda p, o: [b, "evaluate", "--latent", p, "--labels", f"{T}/contigs_labels.tsv"]),
        ("plot", f"{w}/lat.tsv", lambda p, o: [b, "plot", "--latent", p, "--labels", f"{T}/contigs_labels.tsv", "-o", o + ".png"]),
        ("bin_latent", f"{w}/lat.tsv", lambda p, o: [b, "bin", "--fasta", f"{T}/contigs.fa", "--latent", p, "-o", o, "-q"]),
        ("depth", f"{T}/contigs_depth.txt", lambda p, o: [b, "featurize", "--fasta", f"{T}/contigs.fa", "--abundance", p, "-o", o, "-q"]),
        ("aemb", f"{w}/s1.tsv", lambda p, o: [b, "featurize", "--fasta", f"{T}/contigs.fa", "--aemb", p, f"{w}/s1.tsv", "-o", o, "-q"]),
        ("batches", f"{T}/counts2batch_batches.tsv", lambda p, o: [b, "train", "--matrix", f"{T}/counts2batch.tsv", "--batch", p, "--epochs", "1", "-o", o, "-q"]),
        ("covariates", f"{w}/cov.tsv", lambda p, o: [b, "train", "--matrix", f"{T}/counts2batch.tsv", "--covariates", p, "--epochs", "1", "-o", o, "-q"]),
        ("encode_vcf", f"{T}/popgen2.vcf", lambda p, o: [b, "encode", "--model", f"{w}/genotypes", "--vcf", p, "-o", o, "-q"]),
        ("reconstruct_vcf", f"{T}/popgen2.vcf", lambda p, o: [b, "reconstruct", "--model", f"{w}/genotypes", "--vcf", p, "-o", o, "-q"]),
        ("matrix", f"{T}/counts.tsv", lambda p, o: [b, "embed", "--matrix", p, "--epochs", "2", "-o", o, "-q"]),
        ("config", f"{w}/counts/config.json", lambda m, o: [b, "encode", "--model", m, *counts, "-o", o, "-q"]),
        ("safetensors", f"{w}/counts/model.safetensors", lambda m, o: [b, "encode", "--model", m, *counts, "-o", o, "-q"]),
    ]


def remove(path):
    """Delete PATH, a file or a folder (a model directory), if it is there."""
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vaebio", default="target/release/vaebio")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=25, help="damaged copies per case")
    args = parser.parse_args()
    vaebio = os.path.abspath(args.vaebio)
    rng = random.Random(args.seed)
    found, refused, runs = 0, 0, 0
    with tempfile.TemporaryDirectory() as work:
        fixtures(vaebio, work)
        for name, source, command in cases(vaebio, work):
            data = open(source, "rb").read()
            in_model = os.path.dirname(source) == f"{work}/counts"
            for i in range(args.runs):
                damaged, kind = mutate(rng, data)
                out = f"{work}/out_{name}"
                if in_model:  # a copy of the model directory with the one file damaged
                    target = f"{work}/damaged_model"
                    shutil.rmtree(target, ignore_errors=True)
                    shutil.copytree(os.path.dirname(source), target)
                    open(os.path.join(target, os.path.basename(source)), "wb").write(damaged)
                else:
                    target = f"{work}/in_{name}{os.path.splitext(source)[1]}"
                    open(target, "wb").write(damaged)
                written = out + ".png" if name == "plot" else out
                for path in (written, out):
                    remove(path)
                try:
                    result = subprocess.run(command(target, out), capture_output=True, timeout=60)
                    rc, err = result.returncode, result.stderr.decode("utf-8", "replace")
                except subprocess.TimeoutExpired:
                    rc, err = "timeout", ""
                lines = [line for line in err.splitlines() if line.strip()]
                runs += 1
                refused += rc != 0
                problem = None
                if rc == "timeout" or rc == 101 or rc < 0 or "panicked" in err:
                    problem = f"{rc}"
                elif rc != 0 and len(lines) != 1:
                    problem = "more than one line"
                elif rc != 0 and os.path.exists(written):
                    problem = "output left"
                if problem:
                    found += 1
                    keep = f"cli_inputs_{name}_{kind}_{args.seed}_{i}"
                    shutil.copy(target if not in_model else os.path.join(target, os.path.basename(source)), keep)
                    print(f"{name} ({kind}): {problem}: {err.strip()[:300]} (kept as {keep})", flush=True)
    print(f"{runs} runs, {refused} refused with an error, {found} problems")


if __name__ == "__main__":
    main()
