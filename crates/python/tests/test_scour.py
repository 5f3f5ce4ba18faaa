"""The Python package against the CLI: the same rows give the same report.

Run after `maturin build` + `pip install` of the wheel, with SCOUR_BIN naming
the CLI built from the same tree (default: target/release/scour).
"""

import json
import os
import pathlib
import subprocess

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import scour

ROOT = pathlib.Path(__file__).resolve().parents[3]
BIN = os.environ.get("SCOUR_BIN", str(ROOT / "target" / "release" / "scour"))

# Fields that differ between any two runs, or that only a file has (its
# bytes, hash and mtime: Arrow data in memory has none).
RUN_FIELDS = ("scan_id", "scanned_at", "hmac_signature")
FILE_FIELDS = ("bytes", "sha256", "mtime")


def comparable(report_text):
    r = json.loads(report_text)
    for k in RUN_FIELDS:
        r.pop(k)
    for f in r["files"]:
        for k in FILE_FIELDS:
            f.pop(k)
    return r


def rows(n=2500):
    """Rows with PII and secrets in plain, nested and integer fields."""
    text, notes, ids, consent = [], [], [], []
    for i in range(n):
        if i % 40 == 3:
            t = f"write to person{i}@mail-host.org about order {i}"
        elif i % 40 == 11:
            t = f"card 4111 1111 1111 1111 on file for row {i}"
        elif i % 40 == 23:
            t = f"key AKIAIOSFODNN7EXAMPL{i % 10} leaked in a log"
        else:
            t = f"plain words about weather, trains and tea, line {i}"
        text.append(t)
        notes.append([{"role": "user", "content": f"call me on +1 415 555 {2000 + i % 7000:04d}" if i % 50 == 7 else "hello"}])
        ids.append(4111111111111111 if i % 500 == 9 else i)
        consent.append(i % 3 != 0)
    return {"text": text, "messages": notes, "account": ids, "consent": consent}


def cli_report(path, *args):
    out = subprocess.run(
        [BIN, "scan", "--quiet", *args, path.name],
        cwd=path.parent,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "SCOUR_SIGNING_KEY"},
    )
    assert out.returncode in (0, 1), out.stderr.decode()
    return out.stdout.decode()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    table = pa.table(rows())
    path = d / "data.parquet"
    pq.write_table(table, path, row_group_size=1000)
    return path, table


def test_a_table_gives_the_cli_report(corpus):
    path, table = corpus
    want = comparable(cli_report(path))
    assert want["findings_total"] > 150
    state = scour.Scanner(threads=2).scan_batch(table, source="data.parquet")
    assert state.rows == table.num_rows
    assert comparable(state.report()) == want


def test_batches_merged_in_order_give_the_same_report(corpus):
    path, table = corpus
    want = comparable(cli_report(path))
    scanner = scour.Scanner(threads=2)
    states = [scanner.scan_batch(b, source="data.parquet") for b in table.to_batches(max_chunksize=333)]
    assert len(states) > 5
    merged = states[0].merge(*states[1:])
    assert comparable(merged.report()) == want
    # The CLI's state format: bytes round-trip, and `scour merge` reads them.
    again = scour.State.from_bytes(merged.to_bytes())
    assert comparable(again.report()) == want
    files = []
    for i, s in enumerate(states):
        p = path.parent / f"part-{i}.scour-state"
        p.write_bytes(s.to_bytes())
        files.append(str(p))
    out = subprocess.run([BIN, "merge", "--quiet", *files], capture_output=True)
    assert out.returncode in (0, 1), out.stderr.decode()
    assert comparable(out.stdout.decode()) == want


def test_string_types_and_threads_do_not_change_findings(corpus):
    path, table = corpus
    want = comparable(cli_report(path))
    large = table.cast(pa.schema([
        pa.field("text", pa.large_string()),
        table.schema.field("messages"),
        table.schema.field("account"),
        table.schema.field("consent"),
    ]))
    view = table.set_column(0, "text", table.column("text").cast(pa.string_view()))
    for data in (large, view):
        for threads in (1, 3):
            got = comparable(scour.Scanner(threads=threads).scan_batch(data, source="data.parquet").report())
            assert got == want


def test_polars_dataframe_and_lazyframe_batches(corpus):
    path, table = corpus
    want = comparable(cli_report(path))
    scanner = scour.Scanner(threads=2)
    df = pl.from_arrow(table)
    assert comparable(scanner.scan_batch(df, source="data.parquet").report()) == want
    lazy = pl.scan_parquet(path)
    states = [scanner.scan_batch(b, source="data.parquet") for b in lazy.collect_batches(chunk_size=700)]
    assert len(states) > 1
    assert comparable(states[0].merge(*states[1:]).report()) == want


def test_config_and_field_settings_match_the_cli(corpus, tmp_path):
    path, table = corpus
    cfg = tmp_path / "scour.toml"
    cfg.write_text('[detectors]\ndisable = ["PHONE"]\n[gates]\nmax_pii_density = 50.0\n')
    want = comparable(cli_report(path, "--config", str(cfg), "--text-field", "text"))
    state = scour.Scanner(config=str(cfg), text_fields=["text"]).scan_batch(table, source="data.parquet")
    got = comparable(state.report())
    assert got == want
    assert "PHONE" not in got["detectors"]


def test_a_signed_report_verifies_with_the_cli(corpus, tmp_path):
    _, table = corpus
    text = scour.Scanner().scan_batch(table, source="data.parquet").report(signing_key=b"team key")
    p = tmp_path / "report.json"
    p.write_text(text)
    env = dict(os.environ, SCOUR_SIGNING_KEY="team key")
    ok = subprocess.run([BIN, "verify-report", str(p)], env=env, capture_output=True)
    assert ok.returncode == 0, ok.stderr.decode()
    env["SCOUR_SIGNING_KEY"] = "another key"
    bad = subprocess.run([BIN, "verify-report", str(p)], env=env, capture_output=True)
    assert bad.returncode == 1


def test_not_arrow_data_is_a_type_error():
    with pytest.raises(TypeError):
        scour.Scanner().scan_batch([1, 2, 3])
    with pytest.raises(ValueError):
        scour.State.from_bytes(b"not a state")
