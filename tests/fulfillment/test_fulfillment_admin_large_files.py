"""Large files in the interchange admin: the list never reads bytes, a page shows a bounded part.

Found from outside: the list read ``content`` for every row (4 s with two 50 MB
files), and the page of a 50 MB file without segment terminators was 52 MB of
HTML; the download name was not quoted.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syncplatform.fulfillment.admin import SEGMENTS_PER_PAGE, SHOWN_BYTES
from syncplatform.fulfillment.choices import Direction, InterchangeState
from syncplatform.fulfillment.models import Interchange
from tests.fulfillment.fulfillment_files import file_846


@pytest.fixture
def ops_client(client, operator):
    client.force_login(operator)
    return client


def stored(config, name: str, content: bytes) -> Interchange:
    return Interchange.objects.create(
        direction=Direction.INBOUND,
        partner=config.partner,
        file_name=name,
        sha256=name,
        content=content,
        state=InterchangeState.FAILED,
    )


def test_the_list_reads_no_file_content(ops_client, config):
    stored(config, "big-1.edi", b"X" * 3_000_000)
    stored(config, "big-2.edi", b"Y" * 3_000_000)

    with CaptureQueriesContext(connection) as queries:
        response = ops_client.get(reverse("admin:fulfillment_interchange_changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2
    listing = [q["sql"] for q in queries if "fulfillment_interchange" in q["sql"]]
    assert listing and not any('"content",' in sql or '."content" ' in sql for sql in listing)
    assert len(response.content) < 100_000


def test_a_file_larger_than_a_page_shows_is_offered_for_download_only(ops_client, config):
    huge = stored(config, "no-terminators.edi", b"ISA*" + b"A" * (SHOWN_BYTES + 10))

    page = ops_client.get(reverse("admin:fulfillment_interchange_change", args=[huge.pk]))

    assert page.status_code == 200
    assert len(page.content) < 200_000
    download = reverse("admin:fulfillment_interchange_download", args=[huge.pk])
    html = page.content.decode()
    assert f"{SHOWN_BYTES + 14} bytes: too large to show here; " in html
    assert f'<a href="{download}">download the file</a>' in html


def test_segments_are_shown_a_page_at_a_time(ops_client, config):
    items = [(f"MAT-{n:06d}", "1", "2") for n in range(400)]  # 3 segments per item
    content = file_846(901, "20261123", items)
    big = stored(config, "846_many.edi", content)

    page = ops_client.get(reverse("admin:fulfillment_interchange_change", args=[big.pk]))
    second = ops_client.get(
        reverse("admin:fulfillment_interchange_segments", args=[big.pk]), {"page": 2}
    )

    html = page.content.decode()
    total = 1 + 1 + 1 + 1 + 3 * 400 + 1 + 1 + 1  # ISA GS ST BIA, items, SE GE IEA
    assert f"{SEGMENTS_PER_PAGE} of {total} segments shown" in html
    assert "LIN**VN*MAT-000000" in html and "LIN**VN*MAT-000399" not in html
    assert second.status_code == 200
    assert second.context["page"].number == 2
    text = second.content.decode()
    dash = "\N{EN DASH}"
    assert f"Segments {SEGMENTS_PER_PAGE + 1}{dash}{2 * SEGMENTS_PER_PAGE} of {total}." in text


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("945_a.edi", 'attachment; filename="945_a.edi"'),
        ('x".html;.edi', 'attachment; filename="x\\".html;.edi"'),
        ("läger 1.edi", "attachment; filename*=utf-8''l%C3%A4ger%201.edi"),
    ],
)
def test_the_download_name_is_quoted(ops_client, config, name, header):
    file = stored(config, name, b"ISA*...")

    response = ops_client.get(reverse("admin:fulfillment_interchange_download", args=[file.pk]))

    assert response["Content-Disposition"] == header
    assert response.content == b"ISA*..."
