"""realgap command line: one entry point, subcommands (DESIGN.md).

Heavy libraries (torch, diffusers, open_clip, OpenCV, pandas) are imported inside
the subcommands, so ``realgap --help`` answers at once.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from bench import __version__
from bench.errors import RunError, UserError
from bench.weights import add_weights_arguments, scoring_from_args

DESCRIPTION = """\
realgap measures the realism gap: how far a text-to-image checkpoint drifts from
physically plausible fractures, impacts and splashes towards the symmetric,
clean, high-contrast "iconic" look that preference tuning rewards.

Start with:
  realgap run --model procedural:physical --out runs/physical
  realgap run --model procedural:iconic --out runs/iconic
  realgap compare runs/physical runs/iconic --out runs/compare
then open runs/compare/report.html.
"""

MODEL_HELP = (
    "what generates the images: procedural:physical | procedural:iconic | procedural:iconic=<0..1> "
    "(embedded renderer, CPU, no weights); images:<folder> (your own images named "
    "<family>/<name>/<seed>.png); diffusers:<hub id|local folder|.safetensors file>; "
    "organism:<folder> (the model organism, see 'realgap organism')"
)
SCENES_HELP = (
    "which scenes: 'all' (default: the main set), a family (fracture), an id (fluid/milk-drop-crown), a glob (impact/*), "
    "'stress' (the edge-case track; also stress/<family>, stress/<family>/<name>), a .yaml file or a folder of them; "
    "comma-separated"
)


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; got '{text}'") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1; got {v}")
    return v


def _size(text: str) -> int:
    v = _positive(text)
    if not 32 <= v <= 2048:
        raise argparse.ArgumentTypeError(f"expected a size in pixels between 32 and 2048; got {v}")
    return v


# --------------------------------------------------------------------------- run
def add_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="procedural:physical", help=MODEL_HELP + " (default: %(default)s)")
    p.add_argument("--out", required=True, type=Path, metavar="RUN_DIR", help="run folder to write (re-run the same command to resume)")
    p.add_argument("--scenes", default=None, metavar="SELECTOR", help=SCENES_HELP)
    p.add_argument("--seeds", type=_positive, default=4, metavar="N", help="seeds 0..N-1 per scene (default: %(default)s)")
    p.add_argument("--size", type=_size, default=256, metavar="PX", help="image size in pixels (default: %(default)s)")
    g = p.add_argument_group("diffusers models")
    g.add_argument("--steps", type=_positive, default=None, metavar="K", help="sampling steps (default: 30)")
    g.add_argument("--guidance", type=float, default=None, help="classifier-free guidance scale (default: 7.5)")
    g.add_argument("--batch-size", type=_positive, default=None, metavar="B", help="images per forward pass (default: 4)")
    g.add_argument("--device", default=None, help="auto (cuda, mps, cpu), cuda, cuda:1, mps or cpu (default: auto)")
    g.add_argument("--dtype", default=None, choices=["float32", "float16", "bfloat16"], help="weights dtype (default: float16 on cuda, else float32)")
    g.add_argument("--lora", default=None, type=Path, metavar="PATH", help="LoRA weights (.safetensors or folder) to load on top")
    g.add_argument("--lora-scale", type=float, default=None, metavar="S", help="LoRA strength (default: 1.0)")
    p.add_argument("--processes", type=_positive, default=1, metavar="N",
                   help="split the (scene, seed) jobs over N worker processes (one GPU each when --device is cuda); "
                   "the run folder equals a 1-process run's. Under `accelerate launch` or torchrun the split is automatic")
    p.add_argument("--shard", default=None, help=argparse.SUPPRESS)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_weights_arguments(p)


DIFFUSERS_OPTIONS = ("steps", "guidance", "batch_size", "device", "dtype", "lora", "lora_scale")


def _generator_options(args) -> dict:
    given = {k: getattr(args, k) for k in DIFFUSERS_OPTIONS if getattr(args, k, None) is not None}
    if given and not args.model.startswith("diffusers:"):
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        raise UserError(f"{flags}: apply to diffusers:<model> only; --model is '{args.model}'")
    if args.model.startswith("diffusers:"):
        given["progress"] = not args.no_progress
    return given


def cmd_run(args) -> int:
    from bench.runner import RunConfig, run
    from bench.spec import select_scenes

    scenes = _scenes_the_model_knows(args.model, select_scenes(args.scenes))
    gen_options = _generator_options(args)
    scoring = scoring_from_args(args)
    if args.processes > 1 and args.shard is None:
        from bench.multiproc import run_processes

        argv = sys.argv[1:] if args.argv is None else args.argv
        summary = run_processes(args, argv, args.processes, embedder=scoring.embedder())
        return _print_summary(summary, args.out)
    cfg = RunConfig(
        model=args.model,
        out=args.out,
        scenes=scenes,
        seeds=args.seeds,
        size=args.size,
        generator_options=gen_options,
        progress=not args.no_progress,
        shard=_shard(args.shard),
    )
    return _print_summary(run(cfg, scoring=scoring), args.out)


def _scenes_the_model_knows(model: str, scenes: list) -> list:
    """For an ``organism:`` model, the selected scenes it was trained on; the others are
    skipped with one line on stderr (an error when none is left)."""
    if not model.startswith("organism:"):
        return scenes
    from bench.generators.organism_gen import known_scene_ids

    known = known_scene_ids(model.split(":", 1)[1])
    if known is None:  # no readable organism.json: the generator says what is wrong
        return scenes
    kept = [s for s in scenes if s.id in known]
    skipped = [s.id for s in scenes if s.id not in known]
    if not kept:
        raise UserError(f"--scenes: {model} was trained on none of the {len(scenes)} selected scene(s) "
                        f"({', '.join(skipped[:4])}{', ...' if len(skipped) > 4 else ''}); it knows {', '.join(sorted(known))}")
    if skipped:
        print(f"realgap run: {model} knows {len(kept)} of the {len(scenes)} selected scenes; skipped "
              f"{', '.join(skipped)}", file=sys.stderr)
    return kept


def _shard(text: str | None) -> tuple[int, int]:
    """``I/N`` from --shard, else RANK/WORLD_SIZE set by accelerate launch or torchrun, else (0, 1)."""
    import os

    if text is None:
        world = int(os.environ.get("WORLD_SIZE", "1") or 1)
        rank = int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")) or 0)
        return (rank, world) if world > 1 else (0, 1)
    m = re.fullmatch(r"(\d+)/(\d+)", text)
    if not m or not int(m.group(1)) < int(m.group(2)):
        raise UserError(f"--shard: expected I/N with 0 <= I < N; got '{text}'")
    return int(m.group(1)), int(m.group(2))


def _print_summary(summary, out: Path) -> int:
    if summary is None:
        print(f"shard finished; the last shard to finish writes {out / 'scores.csv'}")
        return 0
    m = summary["metrics"]

    def show(k):
        st = m[k]
        return "n/a" if st["mean"] is None else f"{st['mean']:.3f}"

    src = summary["aesthetic_source"]
    print(
        f"{summary['model']}: {summary['n_ok']}/{summary['n_images']} images scored; "
        f"realism {show('realism')}, aesthetic{' (proxy)' if 'proxy' in src else ''} {show('aesthetic')}, "
        f"symmetry {show('symmetry')}, transitional {show('transitional')}, plausibility {show('plausibility')}"
    )
    print(f"report: {out / 'report.html'}")
    return 0


# --------------------------------------------------------------------------- score
def cmd_score(args) -> int:
    from bench.scoring import score_manifest

    return score_manifest(args.manifest, args.out, extra_scenes=args.scenes, progress=not args.no_progress,
                          scoring=scoring_from_args(args))


# --------------------------------------------------------------------------- scenes
def cmd_scenes(args) -> int:
    from bench import spec

    if args.scenes_cmd == "list":
        scenes = spec.select_scenes(args.scenes)
        w = max([34] + [len(s.id) + 1 for s in scenes])
        print(f"{'id':{w}} {'phase':13} {'direction':17} title")
        for s in scenes:
            d = "[" + ", ".join(f"{v:g}" for v in s.physics.impact_direction) + "]"
            print(f"{s.id:{w}} {s.physics.phase:13} {d:17} {s.title}")
        print(f"{len(scenes)} scenes; scene-set hash {spec.scene_set_hash(scenes)}")
        return 0
    if args.scenes_cmd == "validate":
        paths = args.paths or [spec.bundled_dir()]
        scenes = spec.load_scenes(paths)
        print(f"ok: {len(scenes)} scene files valid")
        return 0
    if args.scenes_cmd == "new":
        sid = args.id
        m = re.fullmatch(r"(?:stress/)?([a-z]+)/([a-z0-9][a-z0-9-]*)", sid)
        if not m or m.group(1) not in spec.FAMILIES:
            raise UserError(
                f"scenes new: expected FAMILY/NAME (or stress/FAMILY/NAME for the stress track) with FAMILY one of "
                f"{', '.join(spec.FAMILIES)} and NAME of lowercase letters, digits and hyphens; got '{sid}'"
            )
        folder = Path(args.dir) if args.dir else spec.bundled_dir()
        path = folder / f"{sid}.yaml"
        if path.exists():
            raise UserError(f"{path}: already exists; choose another name or edit that file")
        from bench.imageio import atomic_write_text
        from bench.scene_template import new_scene_text

        atomic_write_text(path, new_scene_text(sid, path))
        spec.load_scene(path)  # the template must validate
        print(f"wrote {path}; edit the TODO fields, then: realgap scenes validate {path}")
        return 0
    raise UserError("scenes: expected one of list, validate, new")


# --------------------------------------------------------------------------- validate
def cmd_validate(args) -> int:
    from bench.realset import DEFAULT_RECIPE
    from bench.sources import SOURCES
    from bench.validate_run import render_markdown, run_validation

    sources = None
    if args.source:
        sources = [s.strip() for s in args.source.split(",") if s.strip()]
        unknown = [s for s in sources if s not in SOURCES]
        if unknown:
            raise UserError(f"--source: expected names from {', '.join(SOURCES)}; got {', '.join(unknown)}")
    real = None if args.no_real else (args.real or DEFAULT_RECIPE)
    if args.real is not None and not Path(args.real).is_file():
        raise UserError(f"--real: {real}: expected a recipe CSV file; not found")
    res = run_validation(n=args.n, out=args.out, workers=args.workers, checks=args.checks, progress=not args.no_progress,
                         sources=sources, real=real, real_roots=args.real_root, download=args.download, cache=args.real_cache)
    print(render_markdown(res))
    print(f"wrote {args.out / 'validate.json'} and {args.out / 'validate.md'} ({res['seconds']} s)")
    if res["failures"]:
        print(f"realgap validate: {len(res['failures'])} target(s) missed (see 'Targets' above)", file=sys.stderr)
        return 1
    return 0


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="realgap", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"realgap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="generate and score images for a model; writes scores.csv, summary.json, report.html",
                       description="Generate one image per (scene, seed) with MODEL, score it, and write RUN_DIR. "
                       "Resumable: re-run the same command after a crash and finished work is reused.")
    add_run_arguments(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("score", help="score images that already exist, listed in a CSV manifest",
                       description="Score existing images. MANIFEST.csv has columns image (path relative to the CSV's "
                       "folder) and scene_id (may be empty: then no spec fields are used). A bad image gets a status "
                       "word and NaN scores; all other images are still scored.")
    p.add_argument("--manifest", required=True, type=Path, metavar="MANIFEST.csv")
    p.add_argument("--out", required=True, type=Path, metavar="SCORES.csv")
    p.add_argument("--scenes", default=None, metavar="PATH", help="extra scene files or folders (comma-separated) for scene_ids that are not bundled")
    p.add_argument("--device", default=None, help="device for model-backed scorers: auto, cuda, mps or cpu (default: auto)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_weights_arguments(p)
    p.set_defaults(func=cmd_score)

    from bench.compare import add_compare_arguments, compare_main

    p = sub.add_parser("compare", help="paired base-vs-tuned trade-off report with bootstrap CIs",
                       description="Pair BASE_RUN and TUNED_RUN images by (scene, seed) and report, per metric and "
                       "family, the mean paired difference (tuned - base) with a paired bootstrap 95%% CI, the "
                       "aesthetic-vs-realism trade-off plot (one point per scene) and a verdict in words. Writes "
                       "DIR/compare.json, DIR/compare.csv and DIR/report.html.")
    add_compare_arguments(p)
    p.set_defaults(func=compare_main)

    p = sub.add_parser("scenes", help="list, validate or create scene specs",
                       description="Work with scene specs (YAML files scenes/<family>/<name>.yaml).")
    ssub = p.add_subparsers(dest="scenes_cmd", metavar="ACTION")
    q = ssub.add_parser("list", help="list scenes with phase and impact direction",
                        description="List scenes (id, phase, impact direction, title) and the scene-set hash.")
    q.add_argument("--scenes", default=None, metavar="SELECTOR", help=SCENES_HELP)
    q = ssub.add_parser("validate", help="check every field of scene files (default: the bundled set)",
                        description="Check every field of scene files: types, ranges, family, id = path, unit-length "
                        "impact direction, unknown or duplicate keys. Prints one line per problem "
                        "(file: field: expected ...; got ...) and exits 2 when any is found.")
    q.add_argument("paths", nargs="*", type=Path, metavar="PATH", help=".yaml files or folders")
    q = ssub.add_parser("new", help="write a commented template for a new scene that validates",
                        description="Write scenes/FAMILY/NAME.yaml: a commented template that validates as it is; "
                        "edit its TODO fields. Never overwrites an existing file.")
    q.add_argument("id", metavar="FAMILY/NAME")
    q.add_argument("--dir", default=None, help="scenes folder to write into (default: the bundled scenes/ folder)")
    p.set_defaults(func=cmd_scenes, _parser=p)

    p = sub.add_parser("validate", help="check the scorers against labelled renders of several sources and real photographs",
                       description="For each labelled source (procedural: the own renderer; sim, sidecam: design "
                       "sources; studio: held out) render a full-factorial validation set (symmetric x transitional x plausible, "
                       "pre-states, balanced nuisance) and report AUROCs with CIs, shortcut AUROCs, invariance and "
                       "sensitivity; with --real, also the real-photograph recipe (tune and report halves) and the "
                       "realism index against procedural renders. Exits 1 when a target is missed.")
    p.add_argument("--source", default=None, metavar="NAMES",
                   help="comma-separated sources to render (default: all: procedural, sim, sidecam, studio)")
    p.add_argument("--real", type=Path, default=None, metavar="RECIPE",
                   help="real-photograph recipe CSV (default: validate/real/recipe.csv; skipped, and said so, when "
                   "none of its files can be had)")
    p.add_argument("--no-real", action="store_true", help="do not measure the real photographs")
    p.add_argument("--real-root", type=Path, action="append", default=[], metavar="DIR",
                   help="where the recipe's files lie: git mirrors (DIR/owner+name or DIR/owner/name) or plain files "
                   "(DIR/owner/name/path); repeatable")
    p.add_argument("--real-cache", type=Path, default=None, metavar="DIR",
                   help="keep each checked raw file here (by SHA-256) so later runs need no mirror or network")
    p.add_argument("--download", action="store_true",
                   help="fetch files missing locally from their pinned raw.githubusercontent.com URLs (needs network)")
    p.add_argument("--n", type=_positive, default=480, help="images (rounded to a multiple of 24; default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("validate"), metavar="DIR", help="where validate.json and validate.md go (default: %(default)s)")
    p.add_argument("--workers", type=_positive, default=2, help="processes (default: %(default)s)")
    p.add_argument("--checks", type=_positive, default=96, help="images that also get the invariance and sensitivity checks (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=cmd_validate)

    _add_optional_commands(sub)
    return parser


def _add_optional_commands(sub) -> None:
    """Subcommands whose modules add their own arguments (imported lazily at call time)."""
    from bench import leaderboard_cli

    leaderboard_cli.register(sub)
    from bench.organism import cli as organism_cli

    organism_cli.register(sub)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.command == "scenes" and not args.scenes_cmd:
        args._parser.print_help()
        return 2
    return run_command(args)


def run_command(args) -> int:
    """Run a parsed command; user errors become one line on stderr and exit code 2."""
    from bench.generators import ModelError
    from bench.spec import SpecError
    from bench.weights import WeightsError

    try:
        return int(args.func(args) or 0)
    except SpecError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    except (UserError, ModelError, RunError, WeightsError) as exc:
        print(f"realgap {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"realgap {args.command}: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
