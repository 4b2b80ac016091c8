# Shared by bench/atlas.sh and bench/scvi_speed.sh (source it after setting `data`, `python`,
# `cells` and `genes`): the synthetic count .h5ad and a timed run.

# Writes $data/counts.h5ad (bench/make_scale_counts.py --h5ad-only, seed 19) unless it exists.
scale_h5ad() {
  if [[ ! -f $data/counts.h5ad ]]; then
    "$python" bench/make_scale_counts.py --cells "$cells" --genes "$genes" --seed 19 \
      --out "$data" --h5ad-only
  fi
}

# measure NAME COMMAND...: runs the command under /usr/bin/time -v (its stdout into
# $data/stdout_NAME.txt) and prints wall, CPU and peak RSS.
measure() {
  local name=$1
  shift
  /usr/bin/time -v -o "$data/time_$name.txt" "$@" > "$data/stdout_$name.txt"
  awk -v n="$name" -F': ' '
    /Elapsed/ { wall = $2 } /User time/ { user = $2 } /System time/ { sys = $2 }
    /Maximum resident/ { rss = $2 }
    END { printf "%-10s wall %s  CPU %.1f s (user %.1f + sys %.1f)  peak RSS %.2f GB\n",
          n, wall, user + sys, user, sys, rss / 1e6 }' "$data/time_$name.txt"
}
