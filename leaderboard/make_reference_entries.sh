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

# Model-organism reference entries (issue 7): the shipped base checkpoint and its
# preference-tuned versions (organism/), on the 12 scenes the organism knows
# (a custom track: the bundled set has 15). Opt-in (WITH_ORGANISM=1) because
# tests/test_leaderboard.py::test_real_repo_submissions_are_valid_and_build
# still requires every shipped entry to be on the bundled track. About 3 minutes.
if [ "${WITH_ORGANISM:-0}" = 1 ]; then
ORG_SCENES=fracture/window-pane-ball,fracture/wine-glass-drop,fracture/ceramic-plate-drop,fracture/bottle-bullet,impact/hammer-ice-block,impact/meteorite-sand,impact/egg-drop-floor,impact/crash-test-wall,fluid/milk-drop-crown,fluid/rock-into-pond,fluid/wave-hits-seawall,fluid/water-balloon-pin
ORG_SIZE=$("$PY" -c "import json; print(json.load(open('organism/experiment.json'))['size'])")
ORG_MEAN=$("$PY" -c "import json; p=json.load(open('organism/experiment.json')); print(p['checkpoints'][p['main_mean']])")
ORG_DIST=$("$PY" -c "import json; p=json.load(open('organism/experiment.json')); print(p['checkpoints'][p['dist']])")
for pair in "base:organism/base" "mean:organism/$ORG_MEAN" "dist:organism/$ORG_DIST"; do
  "$PY" -m bench.cli run --model "organism:${pair#*:}" --scenes "$ORG_SCENES" --seeds 8 --size "$ORG_SIZE" \
    --out "$RUNS/organism-${pair%%:*}" --no-progress
done
rm -f leaderboard/submissions/organism-base.json leaderboard/submissions/organism-mean-reward-tuned.json \
  leaderboard/submissions/organism-distributional-reward-tuned.json
"$PY" -m bench.cli submit "$RUNS/organism-base" --reference --custom-track --name "Organism base" --tuning none \
  --base-model "realgap model organism: 1.1M-parameter scene-id-conditioned diffusers UNet, 32 px, trained on procedural renders (organism/base)" \
  --notes "Reference entry, made by leaderboard/make_reference_entries.sh: the model organism's base checkpoint (docs/organism.md), trained with realgap organism train on procedural renders that are mostly physical (each label drawn iconic with p = 0.3). 12 scenes x 8 seeds, 32 px samples upsampled with cv2.INTER_CUBIC."
"$PY" -m bench.cli submit "$RUNS/organism-mean" --reference --custom-track --name "Organism mean-reward tuned" \
  --base-of organism-base --tuning reward-finetuning \
  --base-model "realgap model organism (organism/base)" \
  --notes "Reference entry, made by leaderboard/make_reference_entries.sh: the organism base tuned by DRaFT-K reward backpropagation against the mean-preference Bradley-Terry reward fitted to simulated raters (75 % prefer iconic cues); see docs/organism.md and organism/$ORG_MEAN/organism.json for lambda and updates."
"$PY" -m bench.cli submit "$RUNS/organism-dist" --reference --custom-track --name "Organism distributional-reward tuned" \
  --base-of organism-base --tuning reward-finetuning \
  --base-model "realgap model organism (organism/base)" \
  --notes "Reference entry, made by leaderboard/make_reference_entries.sh: the organism base tuned by DRaFT-K against the distributional reward (soft-min over rater types of the rater-conditioned BT reward), which keeps the minority's taste for realism; see docs/organism.md."
fi
