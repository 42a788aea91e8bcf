"""`reccb synth`: determinism, the shapes of every format, the data's invariants, and a manifest
that agrees with an independent count of the files it describes."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import urllib.parse
from collections import Counter
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from twilio.request_validator import RequestValidator

from reccb_analytics.cli import cli
from reccb_analytics.exceptions import ConfigError
from reccb_analytics.synth import DEMO_AUTH_TOKEN, Manifest, generate
from reccb_analytics.synth.signing import envelope_params, old_token

RE_SID = re.compile(r"RE[0-9a-f]{32}")
AC_SID = re.compile(r"AC[0-9a-f]{32}")
CA_SID = re.compile(r"CA[0-9a-f]{32}")
CF_SID = re.compile(r"CF[0-9a-f]{32}")
RFC2822 = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d{4} \d\d:\d\d:\d\d [+-]\d{4}")
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
ISO_ANY = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)")
# Twilio's parameter order in a Recording Status Callback (reference §2.1; ConferenceSid where
# CallSid would be for conference recordings)
PARAM_ORDER = ["RecordingSource", "RecordingTrack", "RecordingSid", "RecordingUrl", "RecordingStatus",
               "RecordingChannels", "ErrorCode", "CallSid", "ConferenceSid", "RecordingStartTime",
               "AccountSid", "RecordingDuration"]
TIME_KEYS = ("received_at", "timestamp", "time", "@timestamp")


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def lines_of(path: Path) -> list[str]:
    text = read_text(path)
    assert text.endswith("\n"), path
    return text[:-1].split("\n")


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("synth") / "sample"
    manifest = generate(out, seed=42, recordings=300)
    return out, manifest


# ---------------------------------------------------------------- determinism


def test_same_seed_same_bytes_whatever_the_thread_count(tmp_path: Path, sample: tuple[Path, Manifest]) -> None:
    out, _ = sample
    again = tmp_path / "again"
    generate(again, seed=42, recordings=300, threads=1)
    assert tree_digest(again) == tree_digest(out)


def test_committed_sample_is_what_the_generator_writes(tmp_path: Path) -> None:
    committed = Path(__file__).resolve().parent.parent / "data" / "sample"
    if not (committed / "manifest.json").exists():
        pytest.skip("no committed sample")
    params = Manifest.load(committed).parameters
    fresh = tmp_path / "fresh"
    generate(fresh, seed=params["seed"], recordings=params["recordings"], months=params["months"],
             end_date=params["end_date"], subaccounts=params["subaccounts"])
    assert tree_digest(fresh) == tree_digest(committed)


def test_different_seed_different_data(tmp_path: Path, sample: tuple[Path, Manifest]) -> None:
    _, manifest = sample
    other = generate(tmp_path / "other", seed=43, recordings=300)
    assert other.accounts[0]["account_sid"] != manifest.accounts[0]["account_sid"]
    assert tree_digest(tmp_path / "other") != tree_digest(sample[0])


def test_rerun_replaces_an_earlier_output_but_refuses_foreign_folders(tmp_path: Path) -> None:
    out = tmp_path / "o"
    generate(out, seed=1, recordings=40)
    first = tree_digest(out)
    generate(out, seed=1, recordings=40)
    assert tree_digest(out) == first
    # a run that died midway leaves its marker: the folder is still ours
    (out / "manifest.json").unlink()
    (out / ".synth-incomplete").write_text("")
    generate(out, seed=1, recordings=40)
    assert tree_digest(out) == first
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        generate(foreign, recordings=40)
    assert (foreign / "notes.txt").read_text() == "mine"


# ---------------------------------------------------------------- recording metadata shapes


def test_rest_pages_chain_and_shape(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    pages_root = out / "recordings" / "api-pages"
    accounts = {a["account_sid"] for a in manifest.accounts}
    assert {p.name for p in pages_root.iterdir()} <= accounts
    seen_gz = False
    for account_dir in sorted(pages_root.iterdir()):
        files = sorted(account_dir.iterdir())
        by_uri = {}
        for f in files:
            seen_gz |= f.suffix == ".gz"
            page = json.loads(read_text(f))
            assert list(page) == ["recordings", "page", "page_size", "start", "end", "uri",
                                  "first_page_uri", "next_page_uri", "previous_page_uri"]
            assert page["uri"].startswith(f"/2010-04-01/Accounts/{account_dir.name}/Recordings.json?")
            assert page["end"] - page["start"] + 1 == len(page["recordings"])
            assert len(page["recordings"]) <= page["page_size"]
            by_uri[page["uri"]] = page
        # follow next_page_uri from the first page: it visits every page once, newest first
        page = by_uri[json.loads(read_text(files[0]))["first_page_uri"]]
        visited, created = [], []
        while True:
            visited.append(page["page"])
            created += [parsedate_to_datetime(r["date_created"]) for r in page["recordings"]]
            if page["next_page_uri"] is None:
                break
            page = by_uri[page["next_page_uri"]]
        assert visited == list(range(len(files)))
        assert created == sorted(created, reverse=True)
    assert seen_gz


def check_rest_object(obj: dict) -> None:
    assert list(obj) == ["account_sid", "api_version", "call_sid", "conference_sid", "channels",
                         "date_created", "date_updated", "start_time", "price", "price_unit",
                         "duration", "sid", "source", "status", "error_code", "uri",
                         "subresource_uris", "encryption_details", "media_url"]
    assert RE_SID.fullmatch(obj["sid"]) and AC_SID.fullmatch(obj["account_sid"])
    assert CA_SID.fullmatch(obj["call_sid"])
    assert (obj["conference_sid"] is not None) == (obj["source"] == "Conference")
    for key in ("date_created", "date_updated", "start_time"):
        assert RFC2822.fullmatch(obj[key]), obj[key]
    assert parsedate_to_datetime(obj["date_updated"]) >= parsedate_to_datetime(obj["date_created"])
    assert obj["channels"] in (1, 2) and obj["api_version"] == "2010-04-01"
    assert obj["duration"] is None or obj["duration"].isdigit()
    if obj["price"] is not None:
        assert re.fullmatch(r"-0\.\d{5}", obj["price"])
    assert obj["uri"] == f"/2010-04-01/Accounts/{obj['account_sid']}/Recordings/{obj['sid']}.json"
    assert obj["media_url"] == f"https://api.twilio.com{obj['uri'][:-5]}"
    assert obj["error_code"] is None or isinstance(obj["error_code"], int)


def all_rest_objects(out: Path) -> list[tuple[str, dict]]:
    """Every Recording object of the snake_case JSON exports, with its file."""
    found = []
    for path in sorted((out / "recordings").rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or "cli-" in rel or ".csv" in rel or ".tsv" in rel:
            continue
        if "api-pages" in rel:
            found += [(rel, r) for r in json.loads(read_text(path))["recordings"]]
        elif ".ndjson" in rel:
            for line in lines_of(path):
                try:
                    found.append((rel, json.loads(line)))
                except ValueError:
                    pass
        else:
            doc = json.loads(read_text(path))
            found += [(rel, r) for r in (doc if isinstance(doc, list) else [doc])]
    return found


def test_snake_case_objects_single_and_array_files(sample: tuple[Path, Manifest]) -> None:
    out, _ = sample
    objects = all_rest_objects(out)
    for _, obj in objects:
        check_rest_object(obj)
    single = [p for p in (out / "recordings").glob("fetch-*.json")]
    assert len(single) == 1
    obj = json.loads(single[0].read_text())
    assert isinstance(obj, dict) and single[0].name == f"fetch-{obj['sid']}.json"
    arrays = list((out / "recordings").glob("array-*.json"))
    assert arrays and all(isinstance(json.loads(p.read_text()), list) for p in arrays)
    # some dates in +0100: the same instant, written one hour later on the clock
    plus = [o for _, o in objects if o["date_created"].endswith("+0100")]
    assert plus
    for o in plus:
        assert parsedate_to_datetime(o["date_created"]).utcoffset().total_seconds() == 3600


def test_cli_json_is_camel_case_with_iso_dates(sample: tuple[Path, Manifest]) -> None:
    out, _ = sample
    [path] = list((out / "recordings").glob("cli-*.json"))
    text = path.read_text()
    assert text.startswith("[\n  {\n    \"accountSid\": ")     # JSON.stringify(..., null, 2)
    records = json.loads(text)
    assert records
    for r in records:
        assert list(r) == ["accountSid", "apiVersion", "callSid", "conferenceSid", "dateCreated",
                           "dateUpdated", "startTime", "duration", "sid", "price", "priceUnit",
                           "status", "channels", "source", "errorCode", "uri", "encryptionDetails",
                           "subresourceUris", "mediaUrl"]
        assert ISO_Z.fullmatch(r["dateCreated"]) and ISO_Z.fullmatch(r["dateUpdated"])
        assert RE_SID.fullmatch(r["sid"])


def test_csv_and_tsv_headers(sample: tuple[Path, Manifest]) -> None:
    out, _ = sample
    [csv_path] = list((out / "recordings").glob("export-*.csv"))
    rows = list(csv.reader(io.StringIO(csv_path.read_text())))
    assert rows[0] == ["sid", "account_sid", "call_sid", "conference_sid", "date_created", "date_updated",
                       "start_time", "duration", "price", "price_unit", "status", "channels", "source",
                       "error_code", "uri", "media_url", "encryption_details"]
    assert all(len(r) == len(rows[0]) for r in rows)
    assert all(RFC2822.fullmatch(r[4]) for r in rows[1:])
    [tsv_path] = list((out / "recordings").glob("cli-*.tsv.gz"))
    tsv = [line.split("\t") for line in lines_of(tsv_path)]
    assert tsv[0][:7] == ["sid", "accountSid", "callSid", "conferenceSid", "dateCreated", "dateUpdated",
                          "startTime"]
    assert all(len(r) == len(tsv[0]) for r in tsv)
    assert all(ISO_Z.fullmatch(r[4]) for r in tsv[1:])


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


def normalized(rel: str, obj: dict) -> dict:
    """One recording state from any export, in one shape (dates as instants)."""
    if "accountSid" in obj:   # Twilio CLI JSON / TSV: camelCase, ISO-8601
        get = {"sid": "sid", "account_sid": "accountSid", "status": "status", "source": "source",
               "channels": "channels", "error_code": "errorCode", "duration": "duration",
               "price": "price", "encryption_details": "encryptionDetails"}
        state = {k: obj[v] for k, v in get.items()}
        state["date_created"], state["date_updated"] = iso(obj["dateCreated"]), iso(obj["dateUpdated"])
    else:
        state = {k: obj[k] for k in ("sid", "account_sid", "status", "source", "channels", "error_code",
                                     "duration", "price", "encryption_details")}
        state["date_created"] = parsedate_to_datetime(obj["date_created"])
        state["date_updated"] = parsedate_to_datetime(obj["date_updated"])
    for key in ("error_code", "duration", "price", "encryption_details"):
        if state[key] == "":
            state[key] = None     # CSV/TSV: an empty field is null
    state["channels"] = int(state["channels"])
    state["error_code"] = None if state["error_code"] is None else int(state["error_code"])
    state["file"] = rel
    return state


def all_states(out: Path) -> list[dict]:
    """Every recording record of every metadata export, normalized (bad records skipped)."""
    states = [normalized(rel, obj) for rel, obj in all_rest_objects(out)]
    for path in sorted((out / "recordings").glob("cli-*")):
        rel = path.relative_to(out).as_posix()
        if path.name.endswith(".json"):
            states += [normalized(rel, r) for r in json.loads(path.read_text())]
        else:
            rows = [line.split("\t") for line in lines_of(path)]
            states += [normalized(rel, dict(zip(rows[0], r))) for r in rows[1:]]
    for path in sorted((out / "recordings").glob("*.csv")):
        rel = path.relative_to(out).as_posix()
        rows = list(csv.DictReader(io.StringIO(path.read_text())))
        states += [normalized(rel, r) for r in rows if RE_SID.fullmatch(r["sid"])]
    return states


def final_states(out: Path) -> dict[str, dict]:
    """The newest state (by date_updated) of each recording across all exports."""
    best: dict[str, dict] = {}
    for state in all_states(out):
        cur = best.get(state["sid"])
        if cur is None or state["date_updated"] > cur["date_updated"]:
            best[state["sid"]] = state
    return best


def test_older_snapshot_holds_older_states(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    newest = final_states(out)
    older = [json.loads(line) for line in lines_of(out / "recordings" / "snapshot-older.ndjson")]
    assert {o["status"] for o in older} == {"in-progress", "completed"}
    for o in older:
        new = newest[o["sid"]]
        assert parsedate_to_datetime(o["date_updated"]) < new["date_updated"]
        if o["status"] == "in-progress":
            assert o["price"] is None and o["duration"] is None
        else:
            assert new["status"] == "deleted"
    assert len(older) == manifest.file("recordings/snapshot-older.ndjson").details["older_than_latest"]


# ---------------------------------------------------------------- recording invariants


def test_statuses_errors_encryption_and_prices(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    states = final_states(out)
    by_status = Counter(o["status"] for o in states.values())
    for status in ("completed", "absent", "failed", "deleted"):
        assert by_status[status] > 0, status
    encrypted_accounts = {a["account_sid"] for a in manifest.accounts if a["encrypted"]}
    assert len(encrypted_accounts) == 1
    for o in states.values():
        assert (o["encryption_details"] is not None) == (o["account_sid"] in encrypted_accounts)
        if o["status"] == "failed":   # only where encryption is on
            assert o["encryption_details"] is not None and o["error_code"] in (16104, 16105, 16106)
        elif o["status"] == "absent":
            assert o["error_code"] in (16101, 16102) and o["price"] is None
            if o["error_code"] == 16101:
                assert o["duration"] in ("0", "1")
        else:
            assert o["error_code"] is None
        if o["status"] == "deleted":
            assert o["date_updated"] > o["date_created"]
        if o["status"] in ("completed", "deleted"):
            minutes = -(-int(o["duration"]) // 60)
            assert o["price"] == f"-{0.0025 * minutes:.5f}"
    assert {o["source"] for o in states.values()} == {
        "DialVerb", "RecordVerb", "Conference", "StartCallRecordingAPI", "OutboundAPI", "Trunking"}
    assert {o["channels"] for o in states.values()} == {1, 2}
    assert all(o["channels"] == 1 for o in states.values() if o["source"] in ("RecordVerb", "Conference"))


# ---------------------------------------------------------------- callback logs


def callback_records(out: Path) -> list[tuple[str, str, dict | None, str | None]]:
    """(file, raw line, parameters or None when unreadable, receive time or None) per callback
    line, read independently of the generator."""
    found = []
    for path in sorted((out / "callbacks").iterdir()):
        rel = path.relative_to(out).as_posix()
        lines = lines_of(path)
        if "csv-" in rel:
            names = next(csv.reader([lines[0]]))
            for line in lines[1:]:
                cells = next(csv.reader([line]))
                if len(cells) != len(names):
                    found.append((rel, line, None, None))
                    continue
                row = {k: v for k, v in zip(names, cells) if v != ""}
                found.append((rel, line, row, row.pop("received_at")))
            continue
        for line in lines:
            if ".ndjson" in rel:
                try:
                    record = json.loads(line)
                except ValueError:
                    found.append((rel, line, None, None))
                    continue
                if "headers" in record:
                    found.append((rel, line, envelope_params(record), record["received_at"]))
                else:
                    when = next(record.pop(k) for k in TIME_KEYS if k in record)
                    found.append((rel, line, record, when))
            else:
                match = re.match(r"(\d{4}-\d\d-\d\dT\S+)[\t ](.*)", line)
                when, body = (match.group(1), match.group(2)) if match else (None, line)
                found.append((rel, line, dict(urllib.parse.parse_qsl(body, keep_blank_values=True)), when))
    return found


def test_flat_envelope_form_and_csv_shapes(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    time_keys, payloads, status_keys, separators = set(), set(), set(), set()
    for path in sorted((out / "callbacks").iterdir()):
        rel = path.relative_to(out).as_posix()
        for line in lines_of(path):
            if "flat-" in rel:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                key = [k for k in record if k in TIME_KEYS]
                assert len(key) == 1 and ISO_ANY.fullmatch(record[key[0]])
                time_keys.add(key[0])
            elif "envelope-" in rel:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                assert record["method"] == "POST" and ISO_Z.fullmatch(record["received_at"])
                assert {"X-Twilio-Signature", "I-Twilio-Idempotency-Token"} <= set(record["headers"])
                payloads |= {"params", "form", "body"} & set(record)
                status_keys |= {"http_status", "response_status"} & set(record)
            elif "form-" in rel:
                when, sep, body = re.match(r"(\S+)([\t ])(.*)", line).groups()
                assert ISO_Z.fullmatch(when)
                separators.add(sep)
                if sep == " ":
                    assert "%20" not in body       # '+' for spaces in that logger's files
                else:
                    assert "+" not in body.replace("%2B", "")
    assert time_keys == set(TIME_KEYS)
    assert payloads == {"params", "form", "body"}
    assert status_keys == {"http_status", "response_status"}
    assert separators == {"\t", " "}
    # the form bodies decode with urllib; the raw "notime" bodies have no receive time at all
    notime = lines_of(out / "callbacks" / "bodies-notime-0001.log")
    assert all(line.startswith("RecordingSource=") for line in notime)
    assert manifest.totals["callbacks"]["deliveries_without_receive_time"] == len(set(notime))


def test_callback_parameters_in_twilio_order(sample: tuple[Path, Manifest]) -> None:
    out, _ = sample
    checked = Counter()
    for _, _, params, _ in callback_records(out):
        if not params or "RecordingSid" not in params or not RE_SID.fullmatch(params["RecordingSid"]):
            continue
        keys = list(params)
        assert keys == [k for k in PARAM_ORDER if k in keys], keys
        status = params["RecordingStatus"]
        checked[status] += 1
        assert ("RecordingDuration" in keys) == (status != "in-progress")
        assert params["RecordingUrl"] == (f"https://api.twilio.com/2010-04-01/Accounts/"
                                          f"{params['AccountSid']}/Recordings/{params['RecordingSid']}")
        assert RFC2822.fullmatch(params["RecordingStartTime"])
        assert params["ErrorCode"] == "0" if status in ("in-progress", "completed") else params["ErrorCode"] in (
            "16101", "16102", "16104", "16105", "16106")
        if params["RecordingSource"] == "Conference":
            assert CF_SID.fullmatch(params["ConferenceSid"]) and "CallSid" not in params
        else:
            assert CA_SID.fullmatch(params["CallSid"])
    assert set(checked) == {"in-progress", "completed", "absent", "failed"}


def test_trunking_has_no_callbacks_and_callback_only_recordings_exist(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    states = final_states(out)
    cb_sids = {p["RecordingSid"] for _, _, p, _ in callback_records(out)
               if p and RE_SID.fullmatch(p.get("RecordingSid", ""))}
    trunking = {sid for sid, o in states.items() if o["source"] == "Trunking"}
    assert trunking and not trunking & cb_sids
    only_cb = cb_sids - set(states)
    assert len(only_cb) == manifest.totals["recordings"]["callbacks_only"] > 0
    missing = {sid for sid, o in states.items() if o["source"] != "Trunking"} - cb_sids
    assert len(missing) == manifest.totals["recordings"]["missing_callbacks"] > 0


def test_signatures_valid_except_the_deliberately_bad_ones(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    good, old = RequestValidator(DEMO_AUTH_TOKEN), RequestValidator(old_token(DEMO_AUTH_TOKEN))
    valid, invalid, seen = 0, 0, set()
    for path in sorted((out / "callbacks").glob("envelope-*")):
        for line in lines_of(path):
            try:
                record = json.loads(line)
            except ValueError:
                continue   # a truncated or non-JSON line
            params = envelope_params(record)
            if "RecordingSid" in params and not RE_SID.fullmatch(params["RecordingSid"]):
                continue   # a mangled line, rejected by any ingest
            key = (record["received_at"], tuple(sorted(params.items())))
            if key in seen:
                continue   # the same delivery logged again
            seen.add(key)
            if good.validate(record["url"], params, record["headers"]["X-Twilio-Signature"]):
                valid += 1
            else:
                # the deliberately bad ones were signed with a rotated-out token
                assert old.validate(record["url"], params, record["headers"]["X-Twilio-Signature"])
                invalid += 1
    totals = manifest.totals["callbacks"]
    assert invalid == totals["invalid_signatures"] > 0
    call_status = sum(e.bad.get("not_a_recording_callback", 0) for e in manifest.files_of("callbacks")
                      if "envelope-" in e.path)
    assert valid + invalid == totals["signed_deliveries"] + call_status


def test_signatures_use_the_token_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_TEST_TOKEN", "f" * 32)
    result = CliRunner().invoke(cli, ["synth", str(tmp_path / "o"), "--recordings", "60",
                                      "--auth-token-env", "SYNTH_TEST_TOKEN"])
    assert result.exit_code == 0, result.output
    validator = RequestValidator("f" * 32)
    checked = 0
    for path in sorted((tmp_path / "o" / "callbacks").glob("envelope-*")):
        for line in lines_of(path):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            params = envelope_params(record)
            if RE_SID.fullmatch(params.get("RecordingSid", "")):
                checked += validator.validate(record["url"], params, record["headers"]["X-Twilio-Signature"])
    assert checked > 0
    assert "f" * 32 not in (tmp_path / "o" / "manifest.json").read_text()


def test_retries_duplicates_and_out_of_order(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    by_event: dict[tuple[str, str], list[str]] = {}
    first_seen: dict[tuple[str, str], str] = {}
    tokens: dict[tuple[str, str], set[str]] = {}
    statuses = Counter()
    for path in sorted((out / "callbacks").glob("envelope-*")):
        for line in lines_of(path):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            params = envelope_params(record)
            if not RE_SID.fullmatch(params.get("RecordingSid", "")):
                continue
            key = (params["RecordingSid"], params["RecordingStatus"])
            by_event.setdefault(key, []).append(record["received_at"])
            tokens.setdefault(key, set()).add(record["headers"]["I-Twilio-Idempotency-Token"])
            first_seen.setdefault(key, record["received_at"])
            statuses[record.get("http_status", record.get("response_status"))] += 1
    # a retry: the same event delivered again later, with the same idempotency token
    retried = [k for k, times in by_event.items() if len(set(times)) > 1]
    assert retried and all(len(tokens[k]) == 1 for k in retried)
    assert set(statuses) - {200} <= {500, 502, 503, 504} and len(statuses) > 1
    # completed received before in-progress for some recordings
    ooo = [sid for (sid, status), t in first_seen.items()
           if status == "in-progress" and (sid, "completed") in first_seen and t > first_seen[(sid, "completed")]]
    assert ooo
    assert manifest.totals["callbacks"]["out_of_order_recordings"] >= len(ooo)


# ---------------------------------------------------------------- the manifest against the files


def test_manifest_counts_match_an_independent_count(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert on_disk == sorted([f.path for f in manifest.files] + ["manifest.json"])
    for entry in manifest.files:
        path = out / entry.path
        assert entry.bytes == path.stat().st_size
        assert (entry.compression == "gzip") == path.name.endswith(".gz")
        lines = lines_of(path)
        assert entry.lines == len(lines), entry.path
        assert entry.records == entry.expected_loaded + entry.expected_duplicates + entry.expected_rejected
        assert entry.expected_rejected == sum(entry.bad.values())
        if entry.kind == "callbacks":
            assert entry.records == len(lines) - entry.header_lines
            assert entry.duplicate_lines == len(lines) - len(set(lines)), entry.path
        elif entry.format == "twilio-rest-page":
            assert entry.records == len(json.loads(lines[0])["recordings"])
        elif entry.format in ("recording-ndjson", "recording-csv", "recording-tsv"):
            assert entry.records == len(lines) - entry.header_lines
        elif entry.format in ("recording-json-array", "twilio-cli-json"):
            assert entry.records == len(json.loads("\n".join(lines)))
    # rotated logs: the tail of a file repeats the head of the next one, byte for byte
    overlapping = [e for e in manifest.files if e.overlap_next_lines]
    assert overlapping
    for entry in overlapping:
        tail = lines_of(out / entry.path)[-entry.overlap_next_lines:]
        head = lines_of(out / entry.overlaps_with)[:entry.overlap_next_lines]
        assert tail == head


def test_callback_totals_match_an_independent_count(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    deliveries: dict[tuple, str] = {}
    rejected = 0
    for _, _, params, when in callback_records(out):
        if params is None or not RE_SID.fullmatch(params.get("RecordingSid", "")):
            rejected += 1   # unreadable, a mangled SID, or not a recording status callback
            continue
        instant = datetime.fromisoformat(when) if when else None
        deliveries[(instant, tuple(sorted(params.items())))] = params["RecordingStatus"]
    totals = manifest.totals["callbacks"]
    assert len(deliveries) == totals["deliveries"]
    assert dict(Counter(deliveries.values())) == totals["deliveries_by_status"]
    assert rejected == sum(sum(e.bad.values()) for e in manifest.files_of("callbacks"))
    assert sum(e.bad.get("not_a_recording_callback", 0) for e in manifest.files_of("callbacks")) == (
        totals["call_status_callbacks"])
    events = Counter(status for (_, items), status in deliveries.items())
    assert sum(events.values()) == totals["deliveries"]
    distinct_events = {(dict(items)["RecordingSid"], status) for (_, items), status in deliveries.items()}
    assert len(distinct_events) == totals["events"]
    assert dict(Counter(s for _, s in distinct_events)) == totals["events_by_status"]


def test_recording_totals_match_an_independent_count(sample: tuple[Path, Manifest]) -> None:
    out, manifest = sample
    states = final_states(out)
    totals = manifest.totals["recordings"]
    assert len(states) == totals["in_metadata"]
    assert dict(Counter(o["status"] for o in states.values())) == totals["by_status"]
    assert dict(Counter(o["source"] for o in states.values())) == totals["by_source"]
    assert sum(o["source"] == "Trunking" for o in states.values()) == totals["trunking"]
    assert sum(o["status"] == "deleted" for o in states.values()) == totals["deleted"]
    absent = Counter(str(o["error_code"]) for o in states.values() if o["status"] == "absent")
    assert dict(absent) == totals["absent_by_error_code"]
    failed = Counter(str(o["error_code"]) for o in states.values() if o["status"] == "failed")
    assert dict(failed) == totals["failed_by_error_code"]
    assert totals["generated"] == totals["in_metadata"] + totals["callbacks_only"] == 300


# ---------------------------------------------------------------- command line


def test_cli_help_and_run(tmp_path: Path) -> None:
    runner = CliRunner()
    help_text = runner.invoke(cli, ["synth", "--help"]).output
    assert "Example:" in help_text and "--callback-lines" in help_text
    result = runner.invoke(cli, ["synth", str(tmp_path / "o"), "--recordings", "50", "--seed", "3",
                                 "--subaccounts", "0", "--months", "2", "--end-date", "2026-03-31"])
    assert result.exit_code == 0, result.output
    manifest = Manifest.load(tmp_path / "o")
    assert manifest.parameters["period_start"] == "2026-02-01T00:00:00Z"
    assert manifest.parameters["period_end"] == "2026-04-01T00:00:00Z"
    assert len(manifest.accounts) == 1 and manifest.accounts[0]["encrypted"]
    assert "wrote" in result.output


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    env_missing = subprocess.run(
        [sys.executable, "-m", "reccb_analytics", "synth", str(tmp_path / "o"), "--auth-token-env",
         "RECCB_SYNTH_NO_SUCH_VARIABLE"], check=False, capture_output=True, text=True)
    assert env_missing.returncode == ConfigError.exit_code
    assert "RECCB_SYNTH_NO_SUCH_VARIABLE" in env_missing.stderr and "Traceback" not in env_missing.stderr
    assert env_missing.stdout == ""   # no progress output when stderr is not a terminal


@pytest.mark.slow
def test_scale_one_million_callback_lines(tmp_path: Path) -> None:
    manifest = generate(tmp_path / "big", callback_lines=1_000_000)
    entries = manifest.files_of("callbacks")
    lines = sum(e.lines for e in entries)
    assert 900_000 <= lines <= 1_100_000
    counted = 0
    for entry in entries:
        with (gzip.open if entry.compression else open)(tmp_path / "big" / entry.path, "rb") as handle:
            n = sum(1 for _ in handle)
        assert n == entry.lines, entry.path
        counted += n
    assert counted == lines
