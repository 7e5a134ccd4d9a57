#!/usr/bin/env bash
# sieve against PyTorch on the CPU, side by side, one model after the other on the same
# machine and threads: milliseconds per training step (batch tensor, forward with the
# loss, backward, SGD momentum update) and per inference batch, and the ratio sieve /
# PyTorch (below 1.0: sieve is faster). Installs PyTorch into a virtual environment when
# missing (never a dependency of sieve itself).
#
#   scripts/bench-vs-torch.sh                 # batch 128, 20 timed steps, all cores
#   STEPS=50 BATCH=256 THREADS=2 scripts/bench-vs-torch.sh
#
# Environment: SIEVE (the binary; default: build it), TORCH_VENV (default ~/.venvs/torch),
# FMNIST (the Fashion-MNIST IDX folder; default the Debian package's).
set -euo pipefail
cd "$(dirname "$0")/.."

steps="${STEPS:-20}"
batch="${BATCH:-128}"
threads="${THREADS:-$(nproc)}"
venv="${TORCH_VENV:-$HOME/.venvs/torch}"
fmnist="${FMNIST:-/usr/share/datasets/fashion-mnist}"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
  echo "installing PyTorch into $venv (about 2 minutes, 5 GB) ..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch numpy
fi
if [ -z "${SIEVE:-}" ]; then
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sieve-target}"
  cargo build --release -q -p sieve-runners
  SIEVE="$CARGO_TARGET_DIR/release/sieve"
fi

# model, sieve data flags, shape for the twin, resnet stem; MODELS="vgg11 vgg16" runs
# only those
runs=(
  "mlp|--source digits|1,8,8|cifar"
  "lenet|--source idx --path $fmnist|1,28,28|cifar"
  "convnet|--source idx --path $fmnist|1,28,28|cifar"
  "gal_cnn|--source idx --path $fmnist|1,28,28|cifar"
  "resnet18|--source idx --path $fmnist|1,28,28|imagenet"
  "resnet18|--source idx --path $fmnist|1,28,28|cifar"
  "vgg11|--source idx --path $fmnist|1,28,28|cifar"
  "vgg16|--source idx --path $fmnist|1,28,28|cifar"
)
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for run in "${runs[@]}"; do
  IFS='|' read -r model data shape stem <<<"$run"
  if [ -n "${MODELS:-}" ] && [[ " $MODELS " != *" $model "* ]]; then
    continue
  fi
  # shellcheck disable=SC2086
  RAYON_NUM_THREADS="$threads" "$SIEVE" bench step $data --model "$model" --resnet-stem "$stem" \
    --batch-size "$batch" --steps "$steps" | tail -n 1 | sed "s/^/sieve $model $stem /" >>"$results"
  "$venv/bin/python" scripts/torch_twin.py step --model "$model" --shape "$shape" \
    --resnet-stem "$stem" --batch-size "$batch" --steps "$steps" --threads "$threads" \
    | tail -n 1 | sed "s/^/torch $model $stem /" >>"$results"
done

python3 - "$results" "$batch" "$threads" "$steps" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    side, model, stem, payload = line.split(" ", 3)
    key = model + (f" ({stem} stem)" if model == "resnet18" else "")
    rows.setdefault(key, {})[side] = json.loads(payload)
print(f"batch {sys.argv[2]}, {sys.argv[3]} threads, mean of {sys.argv[4]} steps; ms per batch")
print("| model | sieve step | PyTorch step | ratio | sieve inference | PyTorch inference | ratio | sieve forward / backward / optimizer |")
print("|---|---|---|---|---|---|---|---|")
for key, r in rows.items():
    s, t = r["sieve"], r["torch"]
    print(f"| {key} | {s['step_ms']:.1f} | {t['step_ms']:.1f} | {s['step_ms'] / t['step_ms']:.2f} | "
          f"{s['inference_ms']:.1f} | {t['inference_ms']:.1f} | {s['inference_ms'] / t['inference_ms']:.2f} | "
          f"{s['forward_ms']:.1f} / {s['backward_ms']:.1f} / {s['optimizer_ms']:.1f} |")
PY
