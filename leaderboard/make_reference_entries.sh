#!/usr/bin/env bash
# Regenerate the reference entries of the leaderboard (the embedded procedural
# renderers) after any change to the bundled scenes, the scorers or the renderer.
# Usage, from anywhere:  leaderboard/make_reference_entries.sh [PYTHON]
# (PYTHON defaults to the checkout's .venv/bin/python). Takes about half a minute on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
RUNS=$(mktemp -d)
trap 'rm -rf "$RUNS"' EXIT
for style in physical iconic; do
  "$PY" -m bench.cli run --model "procedural:$style" --out "$RUNS/$style" --no-progress
done
rm -f leaderboard/submissions/procedural-physical.json leaderboard/submissions/procedural-iconic.json
"$PY" -m bench.cli submit "$RUNS/physical" --reference --name "Procedural physical" --tuning none \
  --base-model "realgap embedded procedural renderer (no weights)" \
  --notes "Reference entry, made by leaderboard/make_reference_entries.sh (realgap run --model procedural:physical with the default 4 seeds at 256 px). The embedded renderer draws each scene the physically motivated way: asymmetric fragments with heavy-tailed sizes, pieces and spray in flight along the impact direction, cracks caught mid-propagation. It marks the realistic end of the scale; it is not a competitor."
"$PY" -m bench.cli submit "$RUNS/iconic" --reference --name "Procedural iconic" --base-of procedural-physical --tuning other \
  --base-model "realgap embedded procedural renderer (no weights)" \
  --notes "Reference entry, made by leaderboard/make_reference_entries.sh (realgap run --model procedural:iconic with the default 4 seeds at 256 px). The same renderer draws the iconic look that preference tuning rewards: symmetric stars and crowns, clean end states, crisp high-contrast silhouettes. It stands in for a preference-tuned version of the physical entry (it is not a trained checkpoint), so the arrow between the two shows what the realism gap looks like on this scale."
