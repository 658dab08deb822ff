"""``realgap organism train | rewards | tune | experiment``.

Registering builds only the argument parser (no torch import); each command
imports torch when it runs.
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "organism",
        help="the model organism: train a small scene-conditioned diffusion model, fit rater rewards, tune, measure",
        description="Model organism (issue 7): base training on procedural renders, simulated raters and "
        "Bradley-Terry rewards, DRaFT-K reward-backprop tuning, and the base-vs-tuned experiment.",
    )
    osub = p.add_subparsers(dest="organism_cmd", metavar="ACTION", required=True)

    q = osub.add_parser("train", help="train the base model (time budget + step cap); writes a checkpoint folder")
    q.add_argument("--out", type=Path, default=Path("organism/base"), help="checkpoint folder (default: %(default)s)")
    q.add_argument("--budget-min", type=float, default=24.0, help="wall-clock budget in minutes (default: %(default)s)")
    q.add_argument("--max-steps", type=int, default=None, help="step cap; the LR schedule spans it (default: 1200)")
    q.add_argument("--per-scene", type=int, default=None, help="training renders per scene (default: 400)")
    q.add_argument("--batch", type=int, default=None, help="batch size (default: 64)")
    q.add_argument("--channels", default=None, help="UNet block channels, comma-separated (default: 32,64,64)")
    q.add_argument("--seed", type=int, default=None, help="seed of the data order, noise and init (default: 0)")
    q.add_argument("--init", type=Path, default=None, help="continue from this checkpoint folder's weights (fresh optimiser)")
    q.add_argument("--stop-step", type=int, default=None, help="stop after this many steps (the LR schedule still spans --max-steps)")
    q.add_argument("--lr", type=float, default=None, help="peak learning rate (default: 5e-4)")
    q.add_argument("--warmup", type=int, default=None, help="warm-up steps (default: 100)")
    q.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: 2; use 1 when other jobs share the cores)")
    q.set_defaults(func=_train)

    q = osub.add_parser("rewards", help="simulate raters, fit the mean and rater-conditioned BT rewards and the scene classifier")
    q.add_argument("--out", type=Path, default=Path("organism/reward"), help="reward folder (default: %(default)s)")
    q.add_argument("--pairs", type=int, default=None, help="training pairs (default: 20000)")
    q.add_argument("--seed", type=int, default=None, help="seed (default: 0)")
    q.set_defaults(func=_rewards)

    q = osub.add_parser("tune", help="DRaFT-K reward-backprop tuning of a checkpoint; checkpoints along the way")
    q.add_argument("--base", type=Path, default=Path("organism/base"), help="checkpoint to tune (default: %(default)s)")
    q.add_argument("--rewards", type=Path, default=Path("organism/reward"), help="reward folder (default: %(default)s)")
    q.add_argument("--reward", choices=("mean", "dist"), default="mean",
                   help="mean-preference BT reward, or the soft-min over rater types (default: %(default)s)")
    q.add_argument("--lam", type=float, default=0.0, help="KL-surrogate strength lambda (default: %(default)s)")
    q.add_argument("--updates", type=int, default=None, help="reward updates (default: 60)")
    q.add_argument("--k", type=int, default=None, help="DDIM steps with gradients, the last K (default: 4)")
    q.add_argument("--lr", type=float, default=None, help="learning rate (default: 1e-4)")
    q.add_argument("--save-every", type=int, default=None, help="checkpoint every N updates (default: 20)")
    q.add_argument("--seed", type=int, default=None, help="seed (default: 0)")
    q.add_argument("--out", type=Path, required=True, help="tuned checkpoint folder")
    q.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: 2; use 1 when other jobs share the cores)")
    q.set_defaults(func=_tune)

    q = osub.add_parser("experiment", help="run + compare base and tuned checkpoints; plots, fidelity, diversity, report")
    q.add_argument("--out", type=Path, default=Path("runs/organism"), help="experiment folder (default: %(default)s)")
    q.add_argument("--organism", type=Path, default=Path("organism"), help="folder with the checkpoints (default: %(default)s)")
    q.add_argument("--seeds", type=int, default=8, help="seeds per scene (default: %(default)s)")
    q.add_argument("--size", type=int, default=None, help="run image size in px (default: experiment.json's)")
    q.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: %(default)s; 1 when the cores are shared)")
    q.add_argument("--no-progress", action="store_true", help="no progress bars")
    q.set_defaults(func=_experiment)


def _train(args) -> int:
    from .train import train

    ch = [int(c) for c in args.channels.split(",")] if args.channels else None
    train(args.out, budget_min=args.budget_min, max_steps=args.max_steps, per_scene=args.per_scene,
          batch=args.batch, channels=ch, seed=args.seed,
          threads=args.threads, init=args.init, stop_step=args.stop_step, lr=args.lr, warmup=args.warmup)
    return 0


def _rewards(args) -> int:
    from .reward import fit_all

    fit_all(args.out, n_pairs=args.pairs, seed=args.seed)
    return 0


def _tune(args) -> int:
    from .tune import tune

    tune(args.base, args.rewards, args.out, reward=args.reward, lam=args.lam, updates=args.updates, k=args.k,
         lr=args.lr, save_every=args.save_every, seed=args.seed, threads=args.threads)
    return 0


def _experiment(args) -> int:
    from .experiment import run_experiment

    run_experiment(args.out, organism=args.organism, seeds=args.seeds, size=args.size, progress=not args.no_progress,
                   threads=args.threads)
    return 0
