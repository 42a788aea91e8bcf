"""The ingest SQL macros on their own: CSV field splitting against Python's csv module, form
decoding against urllib.parse (many generated lines, one DuckDB query each)."""

from __future__ import annotations

import csv
import io
import json
import random
import urllib.parse

import duckdb
import pytest

from reccb_analytics.ingest.loader import install_macros


@pytest.fixture(scope="module")
def macros() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    install_macros(con)
    return con


def _split(con: duckdb.DuckDBPyConnection, lines: list[str], sep: str) -> list[tuple[str, list[str] | None, bool]]:
    con.execute("CREATE OR REPLACE TEMP TABLE probe (n INTEGER, line VARCHAR)")
    con.executemany("INSERT INTO probe VALUES (?, ?)", list(enumerate(lines)))
    return con.execute("""
        SELECT line, reccb_csv_fields(line, $sep, reccb_csv_parts(line, $sep)),
               reccb_csv_well_quoted(reccb_csv_parts(line, $sep), $sep)
        FROM probe ORDER BY n""", {"sep": sep}).fetchall()


def test_csv_fields_are_what_a_csv_writer_wrote(macros: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(7)
    pieces = ["a", "b c", ",", '"', '""', " ", "é", "x,y", '"q"', ""]
    rows = [[rng.choice(pieces) * rng.randint(1, 2) for _ in range(rng.randint(1, 6))] for _ in range(3000)]
    rows += [[""], ["", ""], ['"'], [","], ['""""']]
    lines = []
    for i, row in enumerate(rows):
        out = io.StringIO()
        csv.writer(out, quoting=csv.QUOTE_ALL if i % 3 == 0 else csv.QUOTE_MINIMAL,
                   lineterminator="").writerow(row)
        lines.append(out.getvalue())
    got = _split(macros, lines, ",")
    for row, (line, fields, well_quoted) in zip(rows, got, strict=True):
        assert well_quoted, line
        assert fields == row, line


@pytest.mark.parametrize("line", ['a"b,c', '"open,b', '"a"b,c', 'a,"b"c', '"a""', 'a,b"', '"a",b"c"'])
def test_csv_stray_quotes_are_malformed(macros: duckdb.DuckDBPyConnection, line: str) -> None:
    assert _split(macros, [line], ",")[0][2] is False


def test_tsv_has_no_quoting(macros: duckdb.DuckDBPyConnection) -> None:
    assert _split(macros, ['"a\tb"\t""', "x\t\ty"], "\t") == [
        ('"a\tb"\t""', ['"a', 'b"', '""'], True), ("x\t\ty", ["x", "", "y"], True)]


def test_form_decoding_matches_urllib(macros: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(11)
    alphabet = ["a", "Z", "0", " ", "+", "&", "=", "%", "é", "€", '"', "\\", "/", ":", "\n", "~", ","]
    bodies, expected = [], []
    for _ in range(2000):
        pairs = [("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) + str(n),
                  "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))))
                 for n in range(rng.randint(1, 5))]
        bodies.append(urllib.parse.urlencode(pairs, quote_via=rng.choice([urllib.parse.quote_plus,
                                                                            urllib.parse.quote])))
        expected.append(pairs)
    macros.execute("CREATE OR REPLACE TEMP TABLE bodies (n INTEGER, body VARCHAR)")
    macros.executemany("INSERT INTO bodies VALUES (?, ?)", list(enumerate(bodies)))
    got = macros.execute("""
        SELECT reccb_form_names(reccb_form_items(body)), reccb_form_values(reccb_form_items(body)),
               reccb_form_to_json(body)::VARCHAR
        FROM bodies ORDER BY n""").fetchall()
    for pairs, (names, values, params) in zip(expected, got, strict=True):
        assert list(zip(names, values, strict=True)) == pairs
        assert json.loads(params) == dict(pairs)
