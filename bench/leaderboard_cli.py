"""Wires ``realgap submit`` and ``realgap leaderboard build`` into the CLI."""

from __future__ import annotations


def register(sub) -> None:
    from bench import leaderboard

    p = sub.add_parser(
        "submit",
        help="check a run folder and add it to the leaderboard",
        description="Validate RUN_DIR (schema, scene set, value ranges, numbers recomputed from scores.csv) "
        "and write leaderboard/submissions/<slug>.json. A rejected submission changes nothing.",
    )
    leaderboard.add_submit_arguments(p)
    p.set_defaults(func=leaderboard.submit_main)

    p = sub.add_parser("leaderboard", help="build the static leaderboard site", description="Leaderboard commands.")
    lsub = p.add_subparsers(dest="leaderboard_cmd", metavar="ACTION", required=True)
    q = lsub.add_parser("build", help="write the static site (plain HTML/CSS/JS, works from file://)")
    leaderboard.add_build_arguments(q)
    q.set_defaults(func=leaderboard.build_main)
