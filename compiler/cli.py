"""The command line: `snnc SPEC [options]` (or `python -m compiler ...`), `snnc check SPEC ...`
and `snnc import-nir IN.nir ...`.

Only argparse is imported before the arguments are parsed, so `--help` and usage
errors are fast; the compiler itself (`compiler.driver`) is imported afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys

EMITS = ("python", "ir", "ir-json", "dot", "svg", "png", "nir")
COMMANDS = ("check", "stats", "import-nir")


def target_name(text: str) -> str:
    """A target as the spec writes it (snnTorch, SpikingJelly, BindsNET: any case) -> its lower-case name."""
    return text.lower()


def program() -> str:
    return "python -m compiler" if os.path.basename(sys.argv[0]) == "__main__.py" else "snnc"


def build_parser() -> argparse.ArgumentParser:
    prog = program()
    p = argparse.ArgumentParser(
        prog=prog,
        description="Compile one JSON spiking-network spec into runnable Python for snnTorch, SpikingJelly or BindsNET.",
        epilog=f"'{prog} check SPEC ...' checks a spec instead (see '{prog} check --help'); '{prog} stats SPEC' counts "
               f"what a model costs (see '{prog} stats --help'); "
               f"'{prog} import-nir IN.nir' reads a NIR graph into a spec (see '{prog} import-nir --help'). "
               "Exit status: 0 ok, 1 error in the spec (or output), 2 usage error, 3 internal compiler error.",
    )
    p.add_argument("spec", nargs="?", metavar="SPEC", help="the JSON spec")
    from ir.targets import names

    p.add_argument("--target", type=target_name, choices=names(),
                   help="simulator to generate code for, any case (default: the spec's target_simulator)")
    from ir.graph import NUMERICS

    p.add_argument("--numerics", choices=NUMERICS,
                   help="exact: every projection one time step at a time, bit-identical in every target; batched: "
                        "projections outside feedback cycles over all T*B rows at once, faster, snnTorch and "
                        "SpikingJelly identical to each other (default: the spec's numerics, else exact)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file, '-' for stdout (default: build/<model>_<target>.py for python, svg, png; stdout otherwise)")
    p.add_argument("--emit", choices=EMITS, default="python", help="what to write (default: python)")
    n = p.add_argument_group("NIR export (--emit nir; needs the 'nir' extra)")
    n.add_argument("--weights", metavar="W", help="the weights to export: a .pt (export_weights' dict) or an .npz")
    n.add_argument("--dt", type=float, metavar="SECONDS",
                   help="the time step NIR readers will assume (default 1e-4, as snnTorch's and SpikingJelly's)")
    g = p.add_argument_group("passes")
    g.add_argument("--passes", metavar="'A,B'", help="comma-separated pass pipeline replacing the default one")
    g.add_argument("--list-passes", action="store_true", help="list the passes of the default pipeline and exit")
    g.add_argument("--time-passes", action="store_true", help="report the time of each stage on stderr")
    g.add_argument("--print-ir-after-all", action="store_true", help="print the IR after every pass")
    g.add_argument("--print-ir-after", metavar="PASS[,PASS]", help="print the IR after these passes")
    g.add_argument("--print-ir-before", metavar="PASS[,PASS]", help="print the IR before these passes")
    g.add_argument("--print-ir-after-change", action="store_true", help="print the IR after each pass that changed it")
    g.add_argument("--dump-ir-dir", metavar="DIR", help="write the IR of every stage to DIR/00_frontend.ir, 01_<pass>.ir, ...")
    p.add_argument("-q", "--quiet", action="store_true", help="print neither warnings nor the output path")
    p.add_argument("--version", action="version", version=f"snnc {_version()}")
    p.set_defaults(prog=prog)
    return p


def _version() -> str:
    from compiler import __version__

    return __version__


def _mistyped_command(word: str) -> str | None:
    """'chek' -> 'check' when `word` is no file but looks like a command."""
    import difflib

    if word in COMMANDS or os.path.exists(word) or word.startswith("-") or word.endswith(".json"):
        return None
    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    return close[0] if close else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and (guess := _mistyped_command(argv[0])):
        print(f"{program()}: error: unknown command {argv[0]!r}; did you mean {guess!r}? "
              f"(or give a spec file: {program()} SPEC.json)", file=sys.stderr)
        return 2
    if argv[:1] == ["check"]:
        from .tools.check import main as check_main

        return check_main(argv[1:], program())
    if argv[:1] == ["stats"]:
        from .tools.stats import main as stats_main

        return stats_main(argv[1:], program())
    if argv[:1] == ["import-nir"]:
        from .nirio.commands import import_main

        return import_main(argv[1:], program())
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.spec is None and not args.list_passes:
        parser.error("the following arguments are required: SPEC")
    from .driver import run

    return run(args)
