"""Bad input is refused with the specific error naming the IDoc, the segment, the field."""

from __future__ import annotations

import http.server
import io
import threading
import time

import pytest

from connectors.idoc import (
    IdocStructureError,
    InvalidValueError,
    MalformedXmlError,
    MissingFieldError,
    PackageTooLargeError,
    UnknownIdocTypeError,
    UnsafeXmlError,
    iter_idocs,
    read_package,
)

# A shipment confirmation as SAP's XML port lays it out; the line numbers matter below.
SHPCON = """\
<?xml version="1.0" encoding="UTF-8"?>
<DELVRY07>
  <IDOC BEGIN="1">
    <EDI_DC40 SEGMENT="1">
      <TABNAM>EDI_DC40</TABNAM>
      <DOCNUM>0000000000004711</DOCNUM>
      <DIRECT>2</DIRECT>
      <IDOCTYP>DELVRY07</IDOCTYP>
      <MESTYP>SHPCON</MESTYP>
      <SNDPOR>SYNCPLAT</SNDPOR>
      <SNDPRT>LS</SNDPRT>
      <SNDPRN>SYNCPLAT</SNDPRN>
      <RCVPOR>SAPERP</RCVPOR>
      <RCVPRT>LS</RCVPRT>
      <RCVPRN>ERPCLNT100</RCVPRN>
      <CREDAT>20261123</CREDAT>
      <CRETIM>183005</CRETIM>
    </EDI_DC40>
    <E1EDL20 SEGMENT="1">
      <VBELN>0080001234</VBELN>
      <E1EDL18 SEGMENT="1">
        <QUALF>PGI</QUALF>
      </E1EDL18>
      <E1EDT13 SEGMENT="1">
        <QUALF>006</QUALF>
        <ISDD>20261124</ISDD>
        <ISDZ>091500</ISDZ>
      </E1EDT13>
      <E1EDL24 SEGMENT="1">
        <POSNR>000010</POSNR>
        <MATNR>TSHIRT-BLK-M</MATNR>
        <LFIMG>2</LFIMG>
        <VRKME>EA</VRKME>
        <CHARG>B-2026-11</CHARG>
      </E1EDL24>
      <E1EDL37 SEGMENT="1">
        <EXIDV>00012345670000000017</EXIDV>
        <EXIDV2>1Z999AA10123456784</EXIDV2>
      </E1EDL37>
    </E1EDL20>
  </IDOC>
</DELVRY07>
"""


def package(*replacements: tuple[str, str]) -> bytes:
    text = SHPCON
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode()


def refusal(data: bytes, **options):
    """The error reading the whole package raises (it must raise one)."""
    with pytest.raises(Exception) as caught:
        list(read_package(data, **options))
    return caught.value


def test_given_the_inline_package_when_read_then_it_is_sound():
    (delivery,) = read_package(package())
    assert delivery.delivery_number == "0080001234"
    assert delivery.items[0].batch == "B-2026-11"


# -- XML -------------------------------------------------------------------


def test_given_mismatched_tags_when_read_then_malformed_xml_at_its_line_and_column():
    error = refusal(package(("<VRKME>EA</VRKME>", "<VRKME>EA</VRKM>")))

    assert isinstance(error, MalformedXmlError)
    assert (error.line, error.column) == (33, 25)
    assert str(error) == (
        "line 33, column 25: not well-formed XML: "
        "Opening and ending tag mismatch: VRKME line 33 and VRKM"
    )


def test_given_a_truncated_package_when_read_then_malformed_xml_at_the_end():
    error = refusal(package()[: -len("</DELVRY07>\n")])

    assert isinstance(error, MalformedXmlError)
    assert str(error) == (
        "line 42, column 1: not well-formed XML: Premature end of data in tag DELVRY07 line 2"
    )


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\xff\xfe garbage \x80", b"not xml at all", "<DELVRY07>\N{ROCKET}".encode("utf-16")],
    ids=["empty", "binary", "text", "utf-16-junk"],
)
def test_given_junk_when_read_then_malformed_xml(data):
    assert isinstance(refusal(data), MalformedXmlError)


def test_given_an_undeclared_entity_when_read_then_malformed_xml_naming_it():
    error = refusal(package(("<VBELN>0080001234</VBELN>", "<VBELN>&vbeln;</VBELN>")))

    assert isinstance(error, MalformedXmlError)
    assert error.line == 20
    assert error.detail == "not well-formed XML: Entity 'vbeln' not defined"


# -- XXE -------------------------------------------------------------------


def test_given_a_doctype_with_an_internal_entity_when_read_then_refused_as_unsafe():
    error = refusal(package(
        ('<?xml version="1.0" encoding="UTF-8"?>\n',
         '<?xml version="1.0"?>\n<!DOCTYPE DELVRY07 [<!ENTITY vbeln "0080009999">]>\n'),
        ("<VBELN>0080001234</VBELN>", "<VBELN>&vbeln;</VBELN>"),
    ))  # fmt: skip

    assert isinstance(error, UnsafeXmlError)
    assert str(error) == (
        "the document declares a DOCTYPE (<!DOCTYPE DELVRY07>); "
        "DTDs and entity declarations are refused"
    )


def test_given_an_external_file_entity_when_read_then_refused_and_nothing_of_the_file_shows():
    error = refusal(package(
        ('<?xml version="1.0" encoding="UTF-8"?>\n',
         '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'),
        ("<VBELN>0080001234</VBELN>", "<VBELN>&xxe;</VBELN>"),
    ))  # fmt: skip

    assert isinstance(error, UnsafeXmlError)
    assert "root:" not in str(error)


def test_given_a_billion_laughs_when_read_then_refused_at_once():
    laughs = "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
    data = package(
        ('<?xml version="1.0" encoding="UTF-8"?>\n',
         f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY lol0 "lol">{laughs}]>\n'),
        ("<VBELN>0080001234</VBELN>", "<VBELN>&lol9;</VBELN>"),
    )  # fmt: skip
    started = time.perf_counter()

    error = refusal(data)

    assert isinstance(error, UnsafeXmlError)
    assert time.perf_counter() - started < 1


@pytest.fixture
def requests_seen():
    """A local HTTP server; the list of paths anyone asked it for."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY stolen "from the network">')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield seen, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_given_external_dtds_and_entities_when_read_then_refused_without_a_request(requests_seen):
    seen, base = requests_seen
    doctypes = [
        f'<!DOCTYPE d SYSTEM "{base}/evil.dtd">',
        f'<!DOCTYPE d [<!ENTITY % remote SYSTEM "{base}/p.dtd"> %remote;]>',
        f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{base}/x">]>',
    ]
    for doctype in doctypes:
        data = package(
            ('<?xml version="1.0" encoding="UTF-8"?>\n', f'<?xml version="1.0"?>\n{doctype}\n'),
            ("<VBELN>0080001234</VBELN>", "<VBELN>&xxe;</VBELN>"),
        )
        error = refusal(data)
        assert isinstance(error, UnsafeXmlError), doctype
    assert seen == []


# -- package ---------------------------------------------------------------


def test_given_a_package_over_the_limit_when_read_then_refused_while_streaming():
    data = package()

    error = refusal(data, max_bytes=1000)

    assert isinstance(error, PackageTooLargeError)
    assert str(error) == (
        f"the package is larger than the limit of 1000 bytes (refused after reading {len(data)})"
    )


def test_given_an_endless_stream_when_read_then_reading_stops_at_the_limit():
    class Endless(io.RawIOBase):
        given = 0

        def readable(self):
            return True

        def read(self, size=-1):
            chunk = b"<DELVRY07>" if self.given == 0 else b" " * 32768
            self.given += len(chunk)
            return chunk

    stream = Endless()

    with pytest.raises(PackageTooLargeError):
        list(iter_idocs(stream, max_bytes=1_000_000))

    assert stream.given <= 1_000_000 + 32768


def test_given_a_root_without_idocs_when_read_then_a_structure_error():
    error = refusal(b"<?xml version='1.0'?><html><body/></html>")

    assert isinstance(error, IdocStructureError)
    assert str(error) == "no IDOC element in the document (root <html>)"


def test_given_an_idoc_without_control_record_when_read_then_a_structure_error():
    start, end = SHPCON.index("    <EDI_DC40"), SHPCON.index("    <E1EDL20")
    error = refusal(package((SHPCON[start:end], "")))

    assert isinstance(error, IdocStructureError)
    assert str(error) == (
        "IDoc #1 of the package (no DOCNUM), segment EDI_DC40, line 3: "
        "the IDOC does not begin with its control record"
    )


def test_given_a_package_root_of_another_type_when_read_then_a_structure_error():
    error = refusal(package(("<DELVRY07>", "<INVOIC02>"), ("</DELVRY07>", "</INVOIC02>")))

    assert isinstance(error, IdocStructureError)
    assert str(error) == (
        "IDoc 0000000000004711, segment EDI_DC40, field IDOCTYP, line 4: "
        "IDoc type DELVRY07 in a <INVOIC02> package"
    )


def test_given_something_else_beside_the_idocs_when_read_then_a_structure_error():
    error = refusal(package(("</DELVRY07>", "<NOTE>hello</NOTE>\n</DELVRY07>")))

    assert isinstance(error, IdocStructureError)
    assert str(error) == "line 42: <NOTE> in the package where only IDOC elements belong"


def test_given_an_idoc_nested_in_a_segment_when_read_then_a_structure_error():
    nested = package(("</E1EDL20>", '<IDOC BEGIN="1"/></E1EDL20>'))

    with pytest.raises(IdocStructureError) as caught:
        list(iter_idocs(nested))

    assert str(caught.value) == (
        "IDoc #1 of the package (no DOCNUM), line 40: IDOC inside <E1EDL20>, "
        "which is neither the package root nor the package in a SOAP body"
    )


def test_given_an_idoc_type_nobody_reads_when_read_then_unknown_type_naming_the_idoc():
    data = package(("<DELVRY07>", "<ORDERS05>"), ("</DELVRY07>", "</ORDERS05>"),
                   ("<IDOCTYP>DELVRY07</IDOCTYP>", "<IDOCTYP>ORDERS05</IDOCTYP>"))  # fmt: skip

    error = refusal(data)

    assert isinstance(error, UnknownIdocTypeError)
    assert str(error) == (
        "IDoc 0000000000004711, segment EDI_DC40, field IDOCTYP: IDoc type ORDERS05 is not "
        "one this platform reads (it reads DELVRY07, INVOIC02, WMMBID02)"
    )
    assert len(list(iter_idocs(data))) == 1  # the generic reader takes any type


# -- control record and segments ----------------------------------------------


def test_given_a_control_record_without_idoc_type_when_read_then_missing_field():
    error = refusal(package(("      <IDOCTYP>DELVRY07</IDOCTYP>\n", "")))

    assert isinstance(error, MissingFieldError)
    assert str(error) == (
        "IDoc 0000000000004711, segment EDI_DC40, field IDOCTYP, line 4: mandatory field is missing"
    )


def test_given_a_docnum_that_is_not_a_number_when_read_then_invalid_value():
    error = refusal(package(("0000000000004711", "47-11")))

    assert isinstance(error, InvalidValueError)
    assert str(error) == (
        "IDoc #1 of the package (no DOCNUM), segment EDI_DC40, field DOCNUM, line 4: "
        "'47-11' is not a number of at most 16 digits"
    )


def test_given_a_creation_time_that_is_not_a_time_when_read_then_invalid_value():
    error = refusal(package(("<CRETIM>183005</CRETIM>", "<CRETIM>253005</CRETIM>")))

    assert isinstance(error, InvalidValueError)
    assert (error.docnum, error.segment, error.field) == ("0000000000004711", "EDI_DC40", "CRETIM")
    assert error.detail == "'253005' is not a valid time"


def test_given_a_delivery_without_its_number_when_read_then_missing_field_naming_the_segment():
    error = refusal(package(("      <VBELN>0080001234</VBELN>\n", "")))

    assert isinstance(error, MissingFieldError)
    assert str(error) == (
        "IDoc 0000000000004711, segment E1EDL20 #1, field VBELN, line 19: "
        "mandatory field is missing"
    )


def test_given_a_quantity_that_is_not_a_number_when_read_then_invalid_value():
    error = refusal(package(("<LFIMG>2</LFIMG>", "<LFIMG>2,5</LFIMG>")))

    assert isinstance(error, InvalidValueError)
    assert str(error) == (
        "IDoc 0000000000004711, segment E1EDL24 #4, field LFIMG, line 29: '2,5' is not a number"
    )


def test_given_a_date_that_does_not_exist_when_read_then_invalid_value():
    error = refusal(package(("<ISDD>20261124</ISDD>", "<ISDD>20261131</ISDD>")))

    assert isinstance(error, InvalidValueError)
    assert str(error) == (
        "IDoc 0000000000004711, segment E1EDT13 #3, field ISDD, line 24: "
        "'20261131' is not a valid date"
    )


def test_given_an_item_number_with_letters_when_read_then_invalid_value():
    error = refusal(package(("<POSNR>000010</POSNR>", "<POSNR>10A</POSNR>")))

    assert isinstance(error, InvalidValueError)
    assert (error.segment, error.segment_number, error.field) == ("E1EDL24", 4, "POSNR")


def test_given_a_delivery_without_its_header_segment_when_read_then_a_structure_error():
    start, end = SHPCON.index("    <E1EDL20"), SHPCON.index("  </IDOC>")
    error = refusal(package((SHPCON[start:end], '    <E1EDL21 SEGMENT="1"/>\n')))

    assert isinstance(error, IdocStructureError)
    assert str(error) == (
        "IDoc 0000000000004711, segment E1EDL20, line 3: mandatory segment is missing"
    )


def test_given_two_delivery_headers_when_read_then_a_structure_error_at_the_second():
    header = SHPCON[SHPCON.index("    <E1EDL20") : SHPCON.index("  </IDOC>")]
    error = refusal(package(("  </IDOC>", header + "  </IDOC>")))

    assert isinstance(error, IdocStructureError)
    assert (error.segment, error.segment_number, error.line) == ("E1EDL20", 6, 41)
    assert error.detail == "segment repeated (2 times); the IDoc type allows one"


def test_given_a_bad_second_idoc_when_read_then_the_first_was_read_and_the_second_is_named():
    idoc = SHPCON[SHPCON.index("  <IDOC") : SHPCON.index("</DELVRY07>")]
    second = idoc.replace("4711", "4712").replace("<LFIMG>2</LFIMG>", "<LFIMG>x</LFIMG>")
    documents = read_package(package(("</DELVRY07>", second + "</DELVRY07>")))

    first = next(documents)
    with pytest.raises(InvalidValueError) as caught:
        next(documents)

    assert first.control.docnum == "0000000000004711"
    assert (caught.value.docnum, caught.value.position) == ("0000000000004712", 2)


def test_given_a_second_idoc_with_an_idoc_inside_when_read_then_the_inner_one_is_refused():
    idoc = SHPCON[SHPCON.index("  <IDOC") : SHPCON.index("</DELVRY07>")]
    second = idoc.replace("4711", "4712").replace("</E1EDL20>", '<IDOC BEGIN="1"/></E1EDL20>')
    idocs = iter_idocs(package(("</DELVRY07>", second + "</DELVRY07>")))

    next(idocs)
    with pytest.raises(IdocStructureError) as caught:
        next(idocs)

    assert str(caught.value) == (
        "IDoc #2 of the package (no DOCNUM), line 79: IDOC element outside the package root"
    )
