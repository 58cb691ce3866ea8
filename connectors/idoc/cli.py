"""``python -m connectors.idoc validate FILE...``: the operators' IDoc-XML inspector.

(``generate-matmas`` and ``generate-conda04`` write large catalog test files;
see ``generate_main`` below and ``catalog_files``.)

For each file prints either ``OK`` with a line per IDoc::

    package.xml: OK - 2 IDocs
      IDoc 0000000000004711: DELVRY07 / SHPCON, 12 segments
      IDoc 0000000000004712: DELVRY07 / SHPCON, 9 segments

or the specific error, naming the IDoc (DOCNUM), the segment, the field and
the line::

    bad.xml: ERROR - IDoc 0000000000004713, segment E1EDL24 #3, field LFIMG, line 40: ...

Every IDoc is read by its type's reader (DELVRY07, WMMBID02, INVOIC02), so
content the platform would refuse is reported too; ``--control-only`` checks
the XML, the package and the control records only, and accepts any IDoc
type. Plain and SOAP-wrapped packages are both read. Exit status: 0 when
every file is valid, 1 otherwise. Never a traceback: unreadable paths,
directories and arbitrary bytes are reported like any other invalid file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from connectors.idoc.catalog_files import BadRow, generate_conda04, generate_matmas
from connectors.idoc.errors import IdocError
from connectors.idoc.package import DEFAULT_MAX_BYTES, iter_idocs
from connectors.idoc.readers import read_idoc
from connectors.idoc.segments import Idoc


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in GENERATORS:
        return generate_main(args)
    all_valid = True
    for name in args.files:
        lines, is_valid = validate_file(Path(name), args.control_only, args.max_bytes)
        all_valid = all_valid and is_valid
        print("\n".join(lines if args.idocs else lines[:1]))
    return 0 if all_valid else 1


def validate_file(
    path: Path, control_only: bool = False, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[str], bool]:
    """``(report lines, is_valid)`` for one file: the file's line, then one per IDoc."""
    summaries = []
    try:
        for idoc in iter_idocs(path, max_bytes=max_bytes):
            if not control_only:
                read_idoc(idoc)
            summaries.append(describe(idoc))
    except OSError as error:
        return [f"{path}: ERROR - cannot read the file: {error.strerror or error}"], False
    except IdocError as error:
        return [f"{path}: ERROR - {error}"], False
    except Exception as error:  # a bug in a reader must still not print a traceback
        return [f"{path}: ERROR - internal error ({type(error).__name__}: {error})"], False
    count = len(summaries)
    return [f"{path}: OK - {count} IDoc{'' if count == 1 else 's'}", *summaries], True


def describe(idoc: Idoc) -> str:
    """``  IDoc 0000000000004711: DELVRY07 / SHPCON, 12 segments``."""
    control = idoc.control
    name = control.docnum or f"#{idoc.position} (no DOCNUM)"
    count = idoc.segment_count
    return (
        f"  IDoc {name}: {control.idoc_type} / {control.message_type}, "
        f"{count} segment{'' if count == 1 else 's'}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.idoc",
        description="Inspect IDoc-XML packages exchanged with the ERP.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="check IDoc-XML packages",
        description=(
            "Check each FILE: well-formed XML without DOCTYPE or entity declarations, "
            "the package (plain or in a SOAP body) under the size limit, every IDOC's "
            "control record EDI_DC40, then the content of DELVRY07, WMMBID02 and INVOIC02 "
            "IDocs. Prints per file 'FILE: OK - N IDocs' followed by '  IDoc DOCNUM: "
            "IDOCTYP / MESTYP, N segments' for each IDoc, or 'FILE: ERROR - IDoc DOCNUM, "
            "segment NAME #SEGNUM, field FIELD, line N: what is wrong'. Exit status 0 when "
            "all files are valid, 1 otherwise."
        ),
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="IDoc-XML file to check")
    validate.add_argument(
        "--control-only",
        action="store_true",
        help="check the XML, the package and the control records, not the segments",
    )
    validate.add_argument(
        "--no-idocs",
        dest="idocs",
        action="store_false",
        help="print only the line per file, not one per IDoc",
    )
    validate.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        metavar="N",
        help=f"refuse a package larger than N bytes (default {DEFAULT_MAX_BYTES})",
    )
    for command, (idoc_type, _) in GENERATORS.items():
        _add_generator(commands, command, idoc_type)
    return parser


def _add_generator(commands, command: str, idoc_type: str) -> None:
    what = "materials" if idoc_type == "MATMAS05" else "the prices (PR00) of materials"
    generate = commands.add_parser(
        command,
        help=f"write a large {idoc_type} test file",
        description=(
            f"Write {what} 1..COUNT as one {idoc_type} package into OUT, streamed (a million "
            "fit in bounded memory), deterministic by seed. With --base-seed, the file holds "
            "base-seed's catalog with exactly round(COUNT x --changed-fraction) materials "
            "changed, chosen by --seed (the same ones in both file types). --bad POSITION:KIND "
            f"spoils a material ({', '.join(BadRow)}). Prints what was written and, with "
            "--list-changes, a 'position,kind' line per changed material."
        ),
    )
    generate.add_argument("out", metavar="OUT", help="file to write (replaced)")
    generate.add_argument("--count", type=_positive, required=True, metavar="N")
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--base-seed", type=int, default=None, metavar="SEED")
    generate.add_argument("--changed-fraction", type=float, default=0.0, metavar="F")
    generate.add_argument(
        "--bad", action="append", default=[], type=_bad_row, metavar="POSITION:KIND"
    )
    generate.add_argument("--list-changes", action="store_true")


def generate_main(args: argparse.Namespace) -> int:
    """Write the file a ``generate-*`` command asks for; 0, or 1 with a message on an error."""
    idoc_type, generate = GENERATORS[args.command]
    try:
        with open(args.out, "wb") as out:
            result = generate(
                out,
                args.count,
                seed=args.seed,
                base_seed=args.base_seed,
                changed_fraction=args.changed_fraction,
                bad_rows=dict(args.bad),
            )
    except (OSError, ValueError) as error:
        print(f"{args.out}: ERROR - {error}", file=sys.stderr)
        return 1
    print(
        f"{args.out}: {result.idocs} {idoc_type} IDocs for {result.materials} materials, "
        f"{len(result.changes)} changed, {len(result.bad_rows)} spoiled"
    )
    if args.list_changes:
        print("\n".join(f"{position},{kind}" for position, kind in result.changes.items()))
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _bad_row(text: str) -> tuple[int, BadRow]:
    position, _, kind = text.partition(":")
    try:
        return _positive(position), BadRow(kind)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not POSITION:KIND with KIND one of {', '.join(BadRow)}"
        ) from None


GENERATORS = {
    "generate-matmas": ("MATMAS05", generate_matmas),
    "generate-conda04": ("COND_A04", generate_conda04),
}


if __name__ == "__main__":
    sys.exit(main())
