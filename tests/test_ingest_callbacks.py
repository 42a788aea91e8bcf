"""Callback log ingest: formats, stable delivery ids, retries vs duplicates, signatures."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from twilio.request_validator import RequestValidator

from reccb_analytics.ingest import ingest_paths, load_file

CB = Path(__file__).parent / "fixtures" / "callbacks"
R6 = "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa6"
R2 = "REaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_flat_ndjson(con: duckdb.DuckDBPyConnection) -> None:
    result = load_file(con, CB / "flat.ndjson", kind="callbacks")
    # 8 lines: 4 distinct requests (one is a Twilio retry, still a delivery), line 5 repeats
    # line 2 exactly, then a short RecordingSid, a call status callback and a truncated line.
    assert (result.format, result.records_read, result.loaded, result.duplicates, result.rejected) \
        == ("ndjson", 8, 4, 1, 3)
    rows = con.execute(
        "SELECT source_line, recording_sid, status, received_at, duration_s, error_code, start_time "
        "FROM callback_deliveries ORDER BY source_line").fetchall()
    assert rows == [
        (1, R6, "in-progress", utc(2026, 3, 5, 10, 0, 1), None, None, utc(2026, 3, 5, 10, 0, 0)),
        (2, R6, "completed", utc(2026, 3, 5, 10, 1, 10), 61, None, utc(2026, 3, 5, 10, 0, 0)),
        (3, R6, "completed", utc(2026, 3, 5, 10, 1, 14), 61, None, utc(2026, 3, 5, 10, 0, 0)),
        # RecordingStartTime "+0100" honoured: 00:05 on 1 March local is 23:05 UTC the day before
        (4, R2, "absent", utc(2023, 2, 28, 23, 10, 7), 1, 16101, utc(2023, 2, 28, 23, 5, 0)),
    ]
    reasons = con.execute("SELECT source_line, reason FROM rejects ORDER BY 1").fetchall()
    assert reasons[0] == (6, "malformed RecordingSid REshort")
    assert reasons[1][0] == 7 and reasons[1][1].startswith("not a Recording Status Callback (a call status")
    assert reasons[2] == (8, "invalid JSON")
    events = con.execute("SELECT recording_sid, status, deliveries, first_received_at, last_received_at "
                         "FROM callback_events ORDER BY 1, 2").fetchall()
    assert events == [
        (R2, "absent", 1, utc(2023, 2, 28, 23, 10, 7), utc(2023, 2, 28, 23, 10, 7)),
        (R6, "completed", 2, utc(2026, 3, 5, 10, 1, 10), utc(2026, 3, 5, 10, 1, 14)),
        (R6, "in-progress", 1, utc(2026, 3, 5, 10, 0, 1), utc(2026, 3, 5, 10, 0, 1)),
    ]
    # every parameter is kept, typed columns alongside
    params = con.execute("SELECT params->>'RecordingTrack', params->>'ErrorCode' FROM callback_deliveries "
                         "WHERE source_line = 4").fetchall()
    assert params == [("both", "16101")]


def test_same_request_in_every_format_has_one_id(con: duckdb.DuckDBPyConnection) -> None:
    flat = load_file(con, CB / "flat.ndjson", kind="callbacks")
    form = load_file(con, CB / "bodies.log", kind="callbacks")
    csv = load_file(con, CB / "requests.csv", kind="callbacks")
    assert (form.format, form.records_read, form.loaded, form.duplicates, form.rejected) == ("form", 5, 0, 4, 1)
    assert (csv.format, csv.records_read, csv.loaded, csv.duplicates, csv.rejected) == ("csv", 5, 0, 4, 1)
    assert flat.loaded == 4
    assert con.execute("SELECT count(*) FROM callback_deliveries").fetchall() == [(4,)]
    assert con.execute("SELECT reason FROM rejects WHERE source_file LIKE '%requests.csv'").fetchall() == [
        ("row has 3 fields, the header has 12",)]
    assert con.execute("SELECT source_line FROM rejects WHERE source_file LIKE '%bodies.log'").fetchall() == [(5,)]


def test_form_and_csv_load_on_their_own(con: duckdb.DuckDBPyConnection) -> None:
    form = load_file(con, CB / "bodies.log", kind="callbacks")
    assert form.loaded == 4
    got = con.execute("SELECT recording_url, start_time FROM callback_deliveries WHERE source_line = 1").fetchall()
    assert got == [(f"https://api.twilio.com/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Recordings/{R6}",
                    utc(2026, 3, 5, 10, 0, 0))]


def _envelope_log(path: Path, token: str, url: str) -> None:
    validator = RequestValidator(token)
    lines = []
    for i, status in enumerate(("in-progress", "completed", "completed")):
        params = {"AccountSid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "CallSid": "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa6",
                  "RecordingSid": R6, "RecordingStatus": status, "ErrorCode": "0",
                  "RecordingChannels": "2", "RecordingSource": "DialVerb"}
        signature = validator.compute_signature(url, params)
        if i == 2:
            signature = "tampered" + signature[8:]
        entry = {"received_at": f"2026-03-05T10:0{i}:00+00:00", "method": "POST", "url": url,
                 "headers": {"x-twilio-signature": signature, "I-Twilio-Idempotency-Token": f"tok-{i}",
                             "Authorization": "Basic c2VjcmV0OnNlY3JldA=="},
                 "http_status": 200 if i else 503}
        if i == 1:
            entry["body"] = urllib.parse.urlencode(params)
        else:
            entry["params"] = params
        lines.append(json.dumps(entry))
    # a flat line has no signature: left unchecked (NULL)
    lines.append(json.dumps({"@timestamp": "2026-03-05T10:09:00Z", "RecordingSid": R2,
                             "RecordingStatus": "absent", "ErrorCode": "16102"}))
    path.write_text("\n".join(lines) + "\n")


def test_signatures_checked_with_token_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://hooks.example.com/twilio/recording-status?site=1"
    log = tmp_path / "envelope.ndjson"
    _envelope_log(log, "token-for-tests", url)
    monkeypatch.setenv("CB_TOKEN", "token-for-tests")
    db = tmp_path / "s.duckdb"
    report = ingest_paths([log], kind="callbacks", db_path=db, auth_token_env="CB_TOKEN", progress=False)
    assert not report.failed
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT source_line, status, signature_valid, http_status, idempotency_token "
                           "FROM callback_deliveries ORDER BY 1").fetchall()
        assert rows == [(1, "in-progress", True, 503, "tok-0"), (2, "completed", True, 200, "tok-1"),
                        (3, "completed", False, 200, "tok-2"), (4, "absent", None, None, None)]
        # no header (an Authorization header least of all) and no token is stored anywhere
        dump = con.execute("SELECT string_agg(params::VARCHAR, ' ') FROM callback_deliveries").fetchall()[0][0]
        assert "c2VjcmV0" not in dump and "token-for-tests" not in dump
    finally:
        con.close()
    assert b"token-for-tests" not in db.read_bytes()


def test_signature_check_needs_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reccb_analytics.exceptions import ConfigError

    monkeypatch.delenv("NOPE_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="NOPE_TOKEN is not set"):
        ingest_paths([CB / "flat.ndjson"], kind="callbacks", db_path=tmp_path / "x.duckdb",
                     auth_token_env="NOPE_TOKEN", progress=False)


def test_callback_url_option_overrides_missing_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://hooks.example.com/rs"
    validator = RequestValidator("tkn")
    params = {"RecordingSid": R6, "RecordingStatus": "completed", "AccountSid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
    log = tmp_path / "nourl.ndjson"
    log.write_text(json.dumps({"received_at": "2026-03-05T10:00:00Z",
                               "headers": {"X-Twilio-Signature": validator.compute_signature(url, params)},
                               "params": params}) + "\n")
    monkeypatch.setenv("TKN", "tkn")
    db = tmp_path / "s.duckdb"
    ingest_paths([log], kind="callbacks", db_path=db, auth_token_env="TKN", callback_url=url, progress=False)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT signature_valid FROM callback_deliveries").fetchall() == [(True,)]
    con.close()


def test_receive_time_forms(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    log = tmp_path / "times.ndjson"
    rows = [{"timestamp": 1772704801}, {"timestamp": 1772704802123},
            {"time": "2026-03-05 10:00:03+01:00"}, {"@timestamp": "Thu, 05 Mar 2026 10:00:04 -0500"}]
    log.write_text("".join(json.dumps({**r, "RecordingSid": f"RE{i:032d}", "RecordingStatus": "completed"}) + "\n"
                           for i, r in enumerate(rows)))
    assert load_file(con, log, kind="callbacks").loaded == 4
    got = [r[0] for r in con.execute("SELECT received_at FROM callback_deliveries ORDER BY source_line").fetchall()]
    assert got == [utc(2026, 3, 5, 10, 0, 1), datetime(2026, 3, 5, 10, 0, 2, 123000, tzinfo=UTC),
                   utc(2026, 3, 5, 9, 0, 3), utc(2026, 3, 5, 15, 0, 4)]


@pytest.mark.parametrize("kind", ["callbacks", "recordings"])
def test_record_size_limit_counts_characters_not_bytes(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                       kind: str) -> None:
    from reccb_analytics.ingest.loader import MAX_RECORD_CHARS

    if kind == "callbacks":
        def record(sid: str, pad: str) -> str:
            return json.dumps({"RecordingSid": sid, "RecordingStatus": "completed", "pad": pad},
                              ensure_ascii=False)
    else:
        def record(sid: str, pad: str) -> str:
            return json.dumps({"sid": sid, "status": "completed", "pad": pad}, ensure_ascii=False)
    base = len(record("RE" + "a" * 32, ""))
    lines = [
        # at the limit in characters, twice as many bytes (é is 2 bytes): loaded
        record("RE" + "a" * 32, "é" * (MAX_RECORD_CHARS - base)),
        # one character over: rejected with its length
        record("RE" + "b" * 32, "x" * (MAX_RECORD_CHARS - base + 1)),
        # JSON's blanks: a line of them is blank (not a record), an object may follow them
        " \t\r",
        "  \t" + record("RE" + "c" * 32, "short"),
    ]
    log = tmp_path / f"{kind}.ndjson"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_file(con, log, kind=kind, fmt="ndjson")
    assert (result.records_read, result.loaded, result.rejected) == (3, 2, 1)
    assert con.execute("SELECT source_line, reason FROM rejects").fetchall() == [
        (2, f"line is {MAX_RECORD_CHARS + 1} characters long (limit {MAX_RECORD_CHARS})")]


def test_files_are_recognised_by_sha256_whether_hashed_before_or_during_the_load(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    def line(n: int) -> str:
        return json.dumps({"RecordingSid": f"RE{n:032x}", "RecordingStatus": "completed",
                           "received_at": f"2026-03-01T10:00:{n:02d}Z"})

    first = tmp_path / "a.ndjson"
    first.write_text(line(1) + "\n" + line(2) + "\n")
    # no file of this size was ingested: hashed while loading, and the hash is still stored
    r = load_file(con, first, kind="callbacks")
    assert (r.already_ingested, r.loaded) == (False, 2)
    stored = con.execute("SELECT sha256 FROM ingest_files WHERE ingest_id = $id", {"id": r.ingest_id}).fetchall()
    assert stored == [(hashlib.sha256(first.read_bytes()).hexdigest(),)]
    # the same size with other bytes: hashed first, found new, loaded
    other = tmp_path / "b.ndjson"
    other.write_text(line(3) + "\n" + line(4) + "\n")
    assert other.stat().st_size == first.stat().st_size
    r = load_file(con, other, kind="callbacks")
    assert (r.already_ingested, r.records_read, r.loaded) == (False, 2, 2)
    # the same bytes under another name: recognised, nothing read
    copy = tmp_path / "copy.ndjson"
    copy.write_bytes(first.read_bytes())
    r = load_file(con, copy, kind="callbacks")
    assert (r.already_ingested, r.records_read, r.loaded, r.duplicates) == (True, 2, 0, 2)
    assert con.execute("SELECT count(*) FROM callback_deliveries").fetchall() == [(4,)]


def _params_by_line(con: duckdb.DuckDBPyConnection, ingest_id: int) -> dict[int, dict[str, str]]:
    rows = con.execute("SELECT source_line, params FROM callback_deliveries WHERE ingest_id = $id",
                       {"id": ingest_id}).fetchall()
    return {line: json.loads(params) for line, params in rows}


def _reasons(con: duckdb.DuckDBPyConnection, ingest_id: int) -> dict[int, str]:
    return dict(con.execute("SELECT source_line, reason FROM rejects WHERE ingest_id = $id",
                            {"id": ingest_id}).fetchall())


def test_form_bodies_decode_names_and_values_exactly(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    base = f"RecordingSid={R6}&RecordingStatus=completed"
    lines = [
        # (each at its own time: the delivery id covers the receive time and Twilio's own parameters)
    # '+' is a space, %XX a byte (names too); a value runs to the end of its item, '=' included
        f"2026-03-05T10:00:00Z\t{base}&Extra+Name=a+b%20c&Odd%3DKey=x%3Dy=z",
        # empty items are dropped; a name without '=' has the value ''; an empty name is kept
        f"2026-03-05T10:00:01Z {base}&&NoEquals&Empty=&=orphan&",
        # UTF-8 from percent-encoding, and characters JSON must escape
        f"2026-03-05T10:00:02Z\t{base}&Uni=%C3%A9t%C3%A9+%E2%82%AC&Quote=%22q%22&Back=%5C&Ctl=%01%0A",
        f"{base}&Dup=1&Dup=2",                                  # a repeated name: rejected
        f"{base}&Latin1=caf%E9",                                # not UTF-8 once decoded: rejected
        f"RecordingSid={R2}&RecordingStatus=absent&ErrorCode=16102",  # still loads after them
    ]
    log = tmp_path / "bodies.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_file(con, log, kind="callbacks")
    assert (result.format, result.records_read, result.loaded, result.rejected) == ("form", 6, 4, 2)
    params = _params_by_line(con, result.ingest_id)
    known = {"RecordingSid": R6, "RecordingStatus": "completed"}
    assert params[1] == {**known, "Extra Name": "a b c", "Odd=Key": "x=y=z"}
    assert params[2] == {**known, "NoEquals": "", "Empty": "", "": "orphan"}
    assert params[3] == {**known, "Uni": "été €", "Quote": '"q"', "Back": "\\", "Ctl": "\x01\n"}
    assert params[6] == {"RecordingSid": R2, "RecordingStatus": "absent", "ErrorCode": "16102"}
    assert list(params[1]) == ["RecordingSid", "RecordingStatus", "Extra Name", "Odd=Key"]  # body order
    assert _reasons(con, result.ingest_id) == {4: "a parameter name appears more than once",
                                              5: "a parameter is not valid percent-encoded UTF-8"}


def test_envelope_raw_body_that_does_not_decode_is_rejected_with_why(con: duckdb.DuckDBPyConnection,
                                                                     tmp_path: Path) -> None:
    log = tmp_path / "envelopes.ndjson"
    entries = [{"received_at": "2026-03-05T10:00:00Z", "body": f"RecordingSid={R6}&RecordingStatus=completed"},
               {"received_at": "2026-03-05T10:00:01Z", "body": f"RecordingSid={R6}&RecordingStatus=completed&N=%FF"},
               {"received_at": "2026-03-05T10:00:02Z", "form": f"RecordingSid={R6}&A=1&A=2"}]
    log.write_text("".join(json.dumps(e) + "\n" for e in entries))
    result = load_file(con, log, kind="callbacks")
    assert (result.records_read, result.loaded, result.rejected) == (3, 1, 2)
    assert _reasons(con, result.ingest_id) == {2: "a parameter is not valid percent-encoded UTF-8",
                                              3: "a parameter name appears more than once"}


def test_csv_quoting_gives_the_fields_a_csv_writer_wrote(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    log = tmp_path / "requests.csv"
    log.write_text(
        "received_at,RecordingSid,RecordingStatus,RecordingStartTime,Note,http_status\n"
        f'2026-03-05T10:00:00Z,{R6},completed,"Thu, 05 Mar 2026 10:59:00 +0100","say ""hi"", twice",200\n'
        f'2026-03-05T10:00:01Z,{R6},completed,,"",204\n'         # empty fields are left out
        f'"2026-03-05T10:00:02Z","{R6}","absent",,"""",\n'        # every field quoted; a lone quote
        f'2026-03-05T10:00:03Z,{R6},completed,,x"y,200\n'        # a quote inside an unquoted field
        f'2026-03-05T10:00:04Z,{R6},completed,,"open,200\n'      # a quote never closed
        f'2026-03-05T10:00:05Z,{R6},completed,,"a"b,200\n')      # text after a closing quote
    result = load_file(con, log, kind="callbacks")
    assert (result.records_read, result.loaded, result.rejected) == (6, 3, 3)
    params = _params_by_line(con, result.ingest_id)
    assert params[2] == {"RecordingSid": R6, "RecordingStatus": "completed",
                         "RecordingStartTime": "Thu, 05 Mar 2026 10:59:00 +0100", "Note": 'say "hi", twice'}
    assert params[3] == {"RecordingSid": R6, "RecordingStatus": "completed"}
    assert params[4] == {"RecordingSid": R6, "RecordingStatus": "absent", "Note": '"'}
    got = con.execute("SELECT source_line, start_time, http_status FROM callback_deliveries "
                      "WHERE ingest_id = $id ORDER BY 1", {"id": result.ingest_id}).fetchall()
    assert got == [(2, utc(2026, 3, 5, 9, 59), 200), (3, None, 204), (4, None, None)]
    assert _reasons(con, result.ingest_id) == {5: "malformed CSV quoting", 6: "malformed CSV quoting",
                                              7: "malformed CSV quoting"}


def test_a_load_that_fails_midway_reports_its_error_and_leaves_store_and_settings(
        con: duckdb.DuckDBPyConnection) -> None:
    from reccb_analytics.exceptions import InputError
    from reccb_analytics.ingest.loader import install_macros

    install_macros(con)
    settings = "SELECT current_setting('preserve_insertion_order'), current_setting('write_buffer_row_group_count')"
    before = con.execute(settings).fetchall()
    # a statement that fails inside the file's insert (here a macro made to fail)
    con.execute("CREATE OR REPLACE TEMP MACRO reccb_form_items(body) AS [error('insert failed: ' || body)]")
    with pytest.raises(InputError, match="insert failed"):
        load_file(con, CB / "bodies.log", kind="callbacks")
    assert con.execute("SELECT count(*) FROM callback_deliveries").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM ingest_files").fetchall() == [(0,)]
    # the file's load changed these inside its transaction; the rollback put them back
    assert con.execute(settings).fetchall() == before
