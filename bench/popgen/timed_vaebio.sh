#!/bin/bash
# Wraps vaebio (VAEBIO_BIN, default target/release/vaebio) under /usr/bin/time for
# bench/popgen/panel.py --vaebio: every `embed` run appends "<latent> user sys wall rss load"
# to CPU_LOG (default bench/out/popgen-panel/cpu.log), which bench/popgen/paired_cost.py reads.
BIN=${VAEBIO_BIN:-target/release/vaebio}
LOG=${CPU_LOG:-bench/out/popgen-panel/cpu.log}
if [ "$1" = "embed" ]; then
  latent=""; prev=""
  for a in "$@"; do if [ "$prev" = "-o" ]; then latent="$a"; fi; prev="$a"; done
  tf=$(mktemp)
  /usr/bin/time -f "%U %S %e %M" -o "$tf" "$BIN" "$@"; rc=$?
  echo "$latent $(cat "$tf") $(cut -d' ' -f1 /proc/loadavg)" >> "$LOG"; rm -f "$tf"
  exit $rc
fi
exec "$BIN" "$@"
