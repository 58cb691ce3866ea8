"""``python -m connectors.edi validate FILE...``: the operators' X12 inspector.

For each file prints one line, either::

    ok.edi: OK - 1 interchange, 1 group, 3 transaction sets (945 x3)
    po.edi: OK - 1 interchange, 1 group, 2 transaction sets (850 x1, 940 x1); 850: envelope only

(``envelope only``: set types whose content nobody here reads, so only their
ST/SE envelope was checked -- every type with ``--envelope-only``), or the
specific error, naming the interchange (ISA13), the segment position in
the file, the segment id and the element::

    bad.edi: ERROR - interchange 000000905, segment 14 (IEA), element IEA02: ...

Envelope problems come first; then each 940, 945, 846 and 997 set is read
and the first set the platform would refuse is reported (``--envelope-only``
skips that). Exit status: 0 when every file is valid, 1 otherwise. Never a
traceback: unreadable paths, directories and arbitrary bytes are reported
like any other invalid file.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from connectors.edi.envelope import Interchange, read_interchanges
from connectors.edi.errors import EnvelopeError
from connectors.edi.group_reader import READERS, read_set


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    results = [validate_file(Path(name), args.envelope_only) for name in args.files]
    for line, _ in results:
        print(line)
    return 0 if all(is_valid for _, is_valid in results) else 1


def validate_file(path: Path, envelope_only: bool = False) -> tuple[str, bool]:
    """``(report line, is_valid)`` for one file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return f"{path}: ERROR - cannot read the file: {error.strerror or error}", False
    try:
        interchanges = read_interchanges(data)
    except EnvelopeError as error:
        return f"{path}: ERROR - {error}", False
    except Exception as error:  # a bug in the reader must still not print a traceback
        return f"{path}: ERROR - internal error ({type(error).__name__}: {error})", False
    if not envelope_only:
        refusal = _first_refused_set(interchanges)
        if refusal:
            return f"{path}: ERROR - {refusal}", False
    return f"{path}: OK - {summary(interchanges, envelope_only)}", True


def summary(interchanges: list[Interchange], envelope_only: bool = False) -> str:
    """``1 interchange, 1 group, 3 transaction sets (850 x1, 945 x2); 850: envelope only``.

    The set types after ``;`` are those whose content was not checked: no
    reader for them (see ``READERS``), or all of them with ``envelope_only``.
    """
    groups = [group for interchange in interchanges for group in interchange.groups]
    codes = Counter(ts.code for group in groups for ts in group.transaction_sets)
    text = ", ".join(
        (
            _count(len(interchanges), "interchange"),
            _count(len(groups), "group"),
            _count(sum(codes.values()), "transaction set"),
        )
    )
    if codes:
        text += " (" + ", ".join(f"{code} x{n}" for code, n in sorted(codes.items())) + ")"
    unchecked = sorted(code for code in codes if envelope_only or code not in READERS)
    if unchecked:
        text += f"; {', '.join(unchecked)}: envelope only"
    return text


def _first_refused_set(interchanges: list[Interchange]) -> str | None:
    for interchange in interchanges:
        for group in interchange.groups:
            for ts in group.transaction_sets:
                if ts.code in READERS:
                    result = read_set(ts)
                    if result.error is not None:
                        return str(result.error)
    return None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.edi",
        description="Inspect ANSI X12 EDI files exchanged with 3PL warehouses.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="check envelopes and documents of X12 files",
        description=(
            "Check each FILE: delimiters from its ISA, ISA/IEA, GS/GE, ST/SE pairing, "
            "counts (SE01, GE01, IEA01) and control numbers (ISA13=IEA02, GS06=GE02, "
            "ST02=SE02, compared as numbers; no ISA13 twice in a file, GS06 twice in an "
            "interchange, ST02 twice in a group), then the content of 940, 945, 846 and 997 "
            "sets. Prints per file 'FILE: OK - N interchanges, N groups, N transaction "
            "sets (945 xN)', followed by '; 850: envelope only' for set types whose content "
            "was not checked, or 'FILE: ERROR - interchange ISA13, segment POSITION (ID), "
            "element ELEMENT: what is wrong'. Exit status 0 when all files are valid, "
            "1 otherwise."
        ),
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="X12 file to check")
    validate.add_argument(
        "--envelope-only",
        action="store_true",
        help="check only delimiters and envelopes, not the content of the sets",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
