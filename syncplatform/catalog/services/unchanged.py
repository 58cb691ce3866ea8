"""Materials a load need not read again: their IDoc's data segments are the bytes last written.

A delta extract resends mostly unchanged materials, and reading them
(parsing and converting every segment) was what a delta load spent its time
on: 0.62x the full load at 20,000 materials. Before a MATMAS05 chunk is read,
its IDocs are fingerprinted from the raw bytes (``connectors.idoc.fingerprints``:
the digest of the data segments, the control record left out because SAP
numbers every extract anew) and compared with ``Product.raw_hash``, which
the chunk writer stores beside the content hash of every material it writes
or finds unchanged. An IDoc whose digest equals its material's stored one is
read with its data segments elided: its control record and the package are
still parsed and checked, it is counted unchanged, and nothing is staged.

What keeps it exact:

* the digest starts from a context: ``RAW_HASH_VERSION`` (raise it when the
  reader or what a product stores from it changes), the file's bytes before
  its first IDoc (XML declaration, so the encoding, and the package root) and
  the units the catalog knows at that moment (SAP's and the unit code mappings
  in force). A mapping added, ended or coming into force changes the context,
  so every material is read again once, and refused or accepted as today;
* only written or confirmed rows carry a digest: a refused material writes
  none, so it is read again, and refused again, next time;
* a material number that appears more than once in a chunk is read in full
  (the last one wins, as without this);
* a chunk that cannot be fingerprinted safely (comments, CDATA, an IDoc not
  shaped as SAP writes it) is read in full, and a chunk whose elided reading
  fails, or finds an elided material's number among the others, is read again
  in full: every error a load reports comes from reading the whole chunk.
"""

from collections import Counter
from hashlib import blake2b

from connectors.idoc.fingerprints import IdocFingerprint, fingerprint_idocs

from ..models import Product
from .files import chunk_span

RAW_HASH_VERSION = b"matmas05-raw-1"
_LOOKUP_BATCH = 5000  # SQLite's bound on query parameters is 32,766


def context_digest(head: bytes, units: frozenset[str]) -> bytes:
    """What the same data segments mean depends on: reader version, file head, known units."""
    context = blake2b(RAW_HASH_VERSION, digest_size=16)
    context.update(b"\x00" + head + b"\x00")
    context.update("\x1f".join(sorted(units)).encode())
    return context.digest()


def fingerprint_chunk(
    load, index: int, units: frozenset[str]
) -> tuple[dict[int, bytes], list[IdocFingerprint]]:
    """Digests of chunk ``index``'s IDocs by position, and those whose material is unchanged.

    ``({}, [])`` when the file has no plan or the chunk cannot be fingerprinted.
    """
    plan = load.plan
    if not plan.get("chunks"):
        return {}, []
    with open(load.stored_path, "rb") as handle:
        head = handle.read(plan["head_end"])
    start, end = chunk_span(plan, index)
    prints = fingerprint_idocs(load.stored_path, start, end, context_digest(head, units))
    if prints is None:
        return {}, []
    occurrences = Counter(p.key for p in prints)
    single = {p.key: p for p in prints if p.key and occurrences[p.key] == 1}
    stored = stored_digests(list(single))
    unchanged = [p for p in prints if p.key in single and stored.get(p.key) == p.digest]
    return {p.position: p.digest for p in prints}, unchanged


def stored_digests(numbers: list[str]) -> dict[str, bytes]:
    """``Product.raw_hash`` of the materials ``numbers`` that have one."""
    found: dict[str, bytes] = {}
    for at in range(0, len(numbers), _LOOKUP_BATCH):
        rows = (
            Product.objects.filter(number__in=numbers[at : at + _LOOKUP_BATCH])
            .exclude(raw_hash=None)
            .values_list("number", "raw_hash")
        )
        found.update((number, bytes(digest)) for number, digest in rows)
    return found
