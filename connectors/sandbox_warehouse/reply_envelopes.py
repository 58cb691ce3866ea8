"""Who the simulated warehouse writes to, on which envelope.

A reply goes back from the identities a file was addressed to, to its
sender: ISA05/06 and ISA07/08 swap, and so do GS02 and GS03. It carries the
received group's version and usage indicator (T stays T). Interchange and
group control numbers are both the warehouse's one counter (``ledger``).
Unsolicited files (846s) go from the configured identity to the configured
partner.
"""

from datetime import UTC, datetime

from connectors.edi import EnvelopeError, FunctionalGroup, Interchange, tokenize
from connectors.edi.writer import EdiIdentity, Envelope


def interchange_key(interchange: Interchange) -> str:
    """``ZZ:SYNCPLATFORM:17``: the sender and its ISA13 without zero padding."""
    number = interchange.control_number
    number = str(int(number)) if number.isascii() and number.isdigit() else number
    return f"{interchange.sender_qualifier}:{interchange.sender_id}:{number}"


def reply_to(interchange: Interchange, group: FunctionalGroup, number: int) -> Envelope:
    """The envelope answering ``group`` of ``interchange``."""
    return _envelope(
        sender=EdiIdentity(
            interchange.receiver_qualifier, interchange.receiver_id, group.application_receiver
        ),
        receiver=EdiIdentity(
            interchange.sender_qualifier, interchange.sender_id, group.application_sender
        ),
        number=number,
        usage="T" if interchange.is_test else "P",
        version=group.version,
    )


def readable_headers(content: bytes) -> tuple[list[str], list[str]] | None:
    """The first ISA and GS of a file whose envelope failed validation, when readable."""
    try:
        segments = tokenize(content)
    except EnvelopeError:
        return None
    isa = next((s for s in segments if s[0] == "ISA" and len(s) > 15), None)
    gs = next((s for s in segments if s[0] == "GS" and len(s) > 3), None)
    return None if isa is None or gs is None else (isa, gs)


def reply_to_headers(headers: tuple[list[str], list[str]], number: int, version: str) -> Envelope:
    """Like ``reply_to``, from the raw ISA and GS of ``readable_headers``."""
    isa, gs = headers
    return _envelope(
        sender=EdiIdentity(isa[7].strip(), isa[8].strip(), gs[3]),
        receiver=EdiIdentity(isa[5].strip(), isa[6].strip(), gs[2]),
        number=number,
        usage="T" if isa[15] == "T" else "P",
        version=version,
    )


def unsolicited(sender: EdiIdentity, receiver: EdiIdentity, number: int, version: str) -> Envelope:
    return _envelope(sender=sender, receiver=receiver, number=number, usage="P", version=version)


def _envelope(
    *, sender: EdiIdentity, receiver: EdiIdentity, number: int, usage: str, version: str
) -> Envelope:
    return Envelope(
        sender=sender,
        receiver=receiver,
        interchange_control_number=number,
        group_control_number=number,
        prepared_at=datetime.now(UTC),
        usage=usage,
        version=version,
    )
