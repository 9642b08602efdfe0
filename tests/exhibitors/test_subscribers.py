"""Importing the subscriber list: Excel's quirks, per-row errors, preview, then apply."""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from typing import Any

import pytest

from exhibitors.subscribers import apply_import, parse_csv, preview_import, subscribers
from fairground.errors import Invalid
from fairground.tables import AuditLog, Organisation
from tests.exhibitors.helpers import make_subscriber
from tests.factories import csrf_from, login, make_org, make_user

HEADER = "organisation,subscriber reference,email domains,active until\r\n"


def csv(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\r\n".join(lines) + "\r\n").encode("utf-8")


def test_excel_utf8_with_bom_quoting_and_text_cells() -> None:
    data = "\ufeff".encode() + csv(
        '"Worcestershire County Council, Adult Services",="0042","worcestershire.gov.uk; '
        '@Worcs.gov.uk",31/03/2027',
        '"The ""New"" Trust",wmj-7,newtrust.nhs.uk,2027-03-31 00:00:00',
    )
    first, second = parse_csv(data)
    assert (first.organisation, first.subscriber_ref) == (
        "Worcestershire County Council, Adult Services",
        "0042",
    )
    assert first.email_domains == ["worcestershire.gov.uk", "worcs.gov.uk"]
    assert first.active_until == date(2027, 3, 31) and not first.errors
    assert (second.organisation, second.subscriber_ref) == ('The "New" Trust', "WMJ-7")
    assert second.active_until == date(2027, 3, 31)


def test_windows_1252_and_semicolons_and_headers_in_any_order_and_case() -> None:
    text = "Email Domains;Active_Until;Subscriber Ref;Organisation;Notes\r\n"
    text += "bromsgrove.gov.uk;;WMJ-1;Bromsgrove – District Council;extra ignored\r\n"
    (row,) = parse_csv(text.encode("cp1252"))
    assert row.organisation == "Bromsgrove – District Council"
    assert (row.subscriber_ref, row.email_domains, row.active_until) == (
        "WMJ-1",
        ["bromsgrove.gov.uk"],
        None,
    )


def test_blank_lines_and_trailing_commas_are_skipped() -> None:
    rows = parse_csv(csv("A Council,R-1,a.gov.uk,", ",,,", "", "B Council,R-2,b.gov.uk,"))
    assert [r.line for r in rows] == [2, 5]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (",R-1,a.gov.uk,", "organisation"),
        ("A Council,,a.gov.uk,", "subscriber_ref"),
        ("A Council,has space,a.gov.uk,", "subscriber_ref"),
        ("A Council,R-1,,", "email_domains"),
        ("A Council,R-1,not a domain,", "email_domains"),
        ("A Council,R-1,gmail,", "email_domains"),
        ("A Council,R-1,http://a.gov.uk/,", "email_domains"),
        ("A Council,R-1,a.gov.uk,next tuesday", "active_until"),
        ("A Council,R-1,a.gov.uk,31/02/2027", "active_until"),
    ],
)
def test_bad_rows_get_an_error_naming_the_column(line: str, field: str) -> None:
    (row,) = parse_csv(csv(line))
    assert field in row.errors


def test_duplicates_within_the_file_are_refused_on_the_later_line() -> None:
    rows = parse_csv(
        csv("A Council,R-1,a.gov.uk,", "B Council,r-1,b.gov.uk,", "a council,R-3,a.gov.uk,")
    )
    assert rows[0].errors == {}
    assert rows[1].errors == {"subscriber_ref": "Also on line 2: each may appear once"}
    assert rows[2].errors == {"organisation": "Also on line 2: each may appear once"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"name,code\r\nA,B\r\n", "missing: subscriber reference, email domains, active until"),
        (b"\x00\x01PK binary", "not a CSV"),
        (b"x" * 600_000, "smaller than 500 KB"),
    ],
)
def test_files_that_are_not_subscriber_lists_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_csv(data)
    assert message in caught.value.fields["file"]


async def test_preview_says_what_would_change_and_writes_nothing() -> None:
    await make_subscriber("Coventry City Council", "WMJ-0042", "coventry.gov.uk", date(2026, 3, 31))
    await make_subscriber("Rugby Borough Council", "WMJ-0050", "rugby.gov.uk", None)
    data = csv(
        "Coventry City Council,WMJ-0042,coventry.gov.uk,31/03/2027",
        "rugby borough council,WMJ-0050,rugby.gov.uk,",
        "Brand New Trust,WMJ-0100,new.nhs.uk,",
        "Someone Else,WMJ-0050,else.org,",
    )
    before = await Organisation.select().order_by(Organisation.id)
    preview = await preview_import(data)
    actions = [(r.organisation, r.action) for r in preview.rows]
    assert actions == [
        ("Coventry City Council", "update"),
        ("rugby borough council", "unchanged"),
        ("Brand New Trust", "create"),
        ("Someone Else", "error"),
    ]
    assert preview.rows[0].changes == ["Active until: 2026-03-31 → 2027-03-31"]
    assert "subscriber_ref" in preview.rows[3].errors
    assert await Organisation.select().order_by(Organisation.id) == before


async def test_a_reference_owned_by_an_organisation_not_in_the_file_is_refused() -> None:
    await make_subscriber("Coventry City Council", "WMJ-0042", "coventry.gov.uk")
    preview = await preview_import(csv("Rugby Borough Council,WMJ-0042,rugby.gov.uk,"))
    assert preview.rows[0].errors == {"subscriber_ref": "WMJ-0042 belongs to Coventry City Council"}


async def test_apply_writes_the_good_rows_together_and_swaps_references() -> None:
    actor = await make_user("organiser", org=await make_org())
    await make_subscriber("Coventry City Council", "WMJ-1", "coventry.gov.uk")
    await make_subscriber("Rugby Borough Council", "WMJ-2", "rugby.gov.uk")
    data = csv(
        "Coventry City Council,WMJ-2,coventry.gov.uk covcc.gov.uk,",
        "Rugby Borough Council,WMJ-1,rugby.gov.uk,01/01/2020",
        "Brand New Trust,WMJ-3,new.nhs.uk,",
        "Broken,WMJ-4,nope,",
    )
    preview = await apply_import(data, actor["id"])
    assert preview.changing == 3
    found = {s["name"]: s for s in await subscribers()}
    assert found["Coventry City Council"]["subscriber_ref"] == "WMJ-2"
    assert found["Coventry City Council"]["email_domains"] == "coventry.gov.uk covcc.gov.uk"
    assert found["Rugby Borough Council"]["subscriber_ref"] == "WMJ-1"
    assert found["Rugby Borough Council"]["current"] is False
    assert found["Brand New Trust"]["current"] is True
    assert "Broken" not in found
    audit = await AuditLog.select().where(AuditLog.action == "subscribers_imported").first()
    assert audit is not None
    detail = audit["detail"] if isinstance(audit["detail"], dict) else json.loads(audit["detail"])
    assert detail == {"created": 1, "updated": 2, "refused": 1}


async def test_upload_preview_and_apply_through_the_pages(client: Any) -> None:
    organiser = await make_user("organiser", org=await make_org())
    await login(client, organiser)
    page = await client.get("/organiser/subscribers")
    assert page.status_code == 200
    data = "\ufeff".encode() + csv("Solihull MBC,WMJ-9,solihull.gov.uk,31/12/2099", "Bad,,x,")
    preview = await client.post(
        "/organiser/subscribers/preview",
        data={"_csrf_token": csrf_from(page.text)},
        files={"file": ("subscribers.csv", data, "text/csv")},
    )
    assert preview.status_code == 200, preview.text
    assert 'data-action="create"' in preview.text and 'data-action="error"' in preview.text
    assert not await Organisation.exists().where(Organisation.name == "Solihull MBC")
    encoded = re.search(r'name="data" value="([^"]+)"', preview.text)
    assert encoded and base64.b64decode(encoded.group(1)) == data
    applied = await client.post(
        "/organiser/subscribers/apply",
        data={"_csrf_token": csrf_from(preview.text), "data": encoded.group(1)},
    )
    assert applied.status_code == 303
    listing = await client.get(applied.headers["location"])
    assert "Solihull MBC" in listing.text and "Current subscriber" in listing.text


async def test_a_broken_file_shows_the_error_on_the_form(client: Any) -> None:
    organiser = await make_user("organiser", org=await make_org())
    await login(client, organiser)
    page = await client.get("/organiser/subscribers")
    response = await client.post(
        "/organiser/subscribers/preview",
        data={"_csrf_token": csrf_from(page.text), "text": "just,some\r\nwords,here"},
    )
    assert response.status_code == 400
    assert 'href="#file"' in response.text


async def test_only_organisers_import(client: Any) -> None:
    await login(client, await make_user("exhibitor"))
    assert (await client.get("/organiser/subscribers")).status_code == 403
