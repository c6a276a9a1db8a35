"""Reproducible bytes: with SOURCE_DATE_EPOCH, two runs on different days, in different folders and with
different hash seeds give byte-identical HTML, PDF and DOCX; without it, dates come from Last Updated."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject

from exporter.enrich.moment import UNIX_EPOCH, document_moment, parse_date
from exporter.model.tree import Document
from exporter.read.markdown import parse
from tests.conftest import CORPUS_DOCS, ROOT, SAMPLES, corpus_docs, corpus_stand_in

EPOCH = 1_700_000_000  # 2023-11-14 22:13:20 UTC
EPOCH_MOMENT = datetime.datetime.fromtimestamp(EPOCH, datetime.UTC)
SHIFT_DAYS = 3
# A relative link; Japanese. Without ../shared the runs below take the samples alone, and a stand-in case says so.
CORPUS_PICKS = tuple(path.name for path in corpus_docs("go-59960-heap-hugepage", "rust-3392-leadership-council"))
FORMATS = ("html", "pdf", "docx")

# Imported at start-up of the "later" run: every clock Python offers reads SHIFT_DAYS ahead.
CLOCK_SHIFT = textwrap.dedent(
    f"""
    import datetime as _datetime
    import time as _time

    _SHIFT = {SHIFT_DAYS} * 86400
    _time_time, _time_time_ns = _time.time, _time.time_ns
    _gmtime, _localtime, _strftime = _time.gmtime, _time.localtime, _time.strftime
    _time.time = lambda: _time_time() + _SHIFT
    _time.time_ns = lambda: _time_time_ns() + _SHIFT * 1_000_000_000
    _time.gmtime = lambda seconds=None: _gmtime(_time.time() if seconds is None else seconds)
    _time.localtime = lambda seconds=None: _localtime(_time.time() if seconds is None else seconds)
    _time.strftime = lambda format, moment=None: _strftime(format, _time.localtime() if moment is None else moment)


    class _ShiftedDateTime(_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return super().now(tz) + _datetime.timedelta(seconds=_SHIFT)

        @classmethod
        def utcnow(cls):
            return super().utcnow() + _datetime.timedelta(seconds=_SHIFT)

        @classmethod
        def today(cls):
            return cls.now()


    class _ShiftedDate(_datetime.date):
        @classmethod
        def today(cls):
            return cls.fromtimestamp(_time.time())


    _datetime.datetime = _ShiftedDateTime
    _datetime.date = _ShiftedDate
    """
)


def _sources(*names: str) -> list[Path]:
    by_name = {path.name: path for path in (*SAMPLES, *CORPUS_DOCS)}
    return [by_name[name] for name in names]


def _environment(hash_seed: str, *, epoch: int | None, later: Path | None = None, tz: str = "UTC") -> dict[str, str]:
    """This checkout first on the path; `later`: a folder holding the clock-shifting sitecustomize."""
    env = {key: value for key, value in os.environ.items() if key not in ("SOURCE_DATE_EPOCH", "PYTHONPATH")}
    paths = [str(later)] if later else []
    paths += [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(PYTHONHASHSEED=hash_seed, PYTHONPATH=os.pathsep.join(paths), TZ=tz)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    return env


def _clock_shift(tmp_path: Path) -> Path:
    folder = tmp_path / "clock"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(CLOCK_SHIFT, encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Run:
    """One CLI export: `sources` copied into `inputs`, exported to `inputs/out` from the folder `cwd`."""

    sources: list[Path]
    inputs: Path
    cwd: Path
    env: dict[str, str]
    args: tuple[str, ...] = ()
    absolute: bool = False  # name the files by absolute path, else relative to `cwd`

    @property
    def out(self) -> Path:
        return self.inputs / "out"

    def start(self) -> subprocess.Popen[str]:
        self.inputs.mkdir(parents=True)
        self.cwd.mkdir(parents=True, exist_ok=True)
        for source in self.sources:
            shutil.copyfile(source, self.inputs / source.name)
        names = [self._name(self.inputs / source.name) for source in self.sources]
        command = [sys.executable, "-m", "exporter", *names, "-o", self._name(self.out), "-q", *self.args]
        return subprocess.Popen(
            command, cwd=self.cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def _name(self, path: Path) -> str:
        return str(path) if self.absolute else os.path.relpath(path, self.cwd)


def _export(*runs: Run) -> list[dict[str, bytes]]:
    """Runs side by side; for each, {output file name: bytes}."""
    processes = [run.start() for run in runs]
    results: list[dict[str, bytes]] = []
    for run, process in zip(runs, processes, strict=True):
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
        written = [path for path in sorted(run.out.iterdir()) if path.suffix.lstrip(".") in FORMATS]  # no cache
        results.append({path.name: path.read_bytes() for path in written})
    return results


def _pdf_date(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("D:%Y%m%d%H%M%SZ")


def _assert_dates(outputs: dict[str, bytes], folder: Path, moment: datetime.datetime) -> None:
    """Every PDF's /CreationDate and /ModDate, and every DOCX's created and modified, are `moment`."""
    for name, data in outputs.items():
        path = folder / name
        if name.endswith(".pdf"):
            metadata = PdfReader(path).metadata
            assert metadata is not None, name
            assert (metadata.get("/CreationDate"), metadata.get("/ModDate")) == (_pdf_date(moment),) * 2, name
        elif name.endswith(".docx"):
            properties = docx.Document(str(path)).core_properties
            assert (properties.created, properties.modified) == (moment, moment), name
        assert data, name


def test_the_clock_shift_takes_effect(tmp_path: Path) -> None:
    probe = "import datetime, time; print(time.time()); print(datetime.datetime.now(datetime.UTC).timestamp())"
    env = _environment("1", epoch=None, later=_clock_shift(tmp_path))
    before = datetime.datetime.now(datetime.UTC).timestamp()
    lines = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    for reading in map(float, lines):
        assert abs(reading - before - SHIFT_DAYS * 86400) < 600


@pytest.mark.parametrize(
    ("variant", "names"),
    [
        pytest.param("", (*(path.name for path in SAMPLES), *CORPUS_PICKS), id="plain"),
        pytest.param("pdf/a-3b", ("payment-retry.md", *CORPUS_PICKS[1:]), id="pdf-a-3b"),
        pytest.param("pdf/ua-1", ("search-indexing.md",), id="pdf-ua-1"),
        *corpus_stand_in(values=2),
    ],
)
def test_same_epoch_gives_identical_bytes_across_days_folders_and_seeds(
    tmp_path: Path, variant: str, names: tuple[str, ...]
) -> None:
    sources = _sources(*names)
    formats = ("pdf",) if variant else FORMATS  # the variant changes only the PDF
    args = ("--pdf", "--pdf-variant", variant) if variant else ()
    today = Run(sources, tmp_path / "first", tmp_path / "first", _environment("1", epoch=EPOCH), args)
    later = _environment("2", epoch=EPOCH, later=_clock_shift(tmp_path), tz="XYZ-14")  # UTC+14, days later
    elsewhere = Run(
        sources, tmp_path / "second" / "somewhere" / "else", tmp_path / "elsewhere", later, args, absolute=True
    )
    first, second = _export(today, elsewhere)

    expected = sorted(f"{source.stem}.{fmt}" for source in sources for fmt in formats)
    assert sorted(first) == sorted(second) == expected
    different = [name for name in expected if first[name] != second[name]]
    assert not different, f"outputs differ between the runs: {different}"
    _assert_dates(first, today.out, EPOCH_MOMENT)
    if variant == "pdf/a-3b":
        reader = PdfReader(today.out / "payment-retry.pdf")
        xmp = reader.xmp_metadata
        assert xmp is not None and xmp.xmp_create_date == EPOCH_MOMENT.replace(tzinfo=None)
        identifier = reader.trailer["/ID"]
        assert isinstance(identifier, ArrayObject) and identifier[0] != identifier[1]  # ours, then a content hash


def test_without_epoch_dates_are_the_last_updated_date(tmp_path: Path) -> None:
    sources = _sources("payment-retry.md")
    undated = Run(sources, tmp_path / "doc", tmp_path / "doc", _environment("3", epoch=None), ("--pdf", "--docx"))
    dated = Run(sources, tmp_path / "dated", tmp_path / "dated", _environment("3", epoch=EPOCH), ("--pdf",))
    outputs, _ = _export(undated, dated)
    assert sorted(outputs) == ["payment-retry.docx", "payment-retry.pdf"]
    _assert_dates(outputs, undated.out, datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC))
    # The PDF's permanent identifier is the same for both dates; the second half, a hash of the file, is not.
    identifiers = [PdfReader(run.out / "payment-retry.pdf").trailer["/ID"] for run in (undated, dated)]
    assert all(isinstance(identifier, ArrayObject) for identifier in identifiers)
    assert identifiers[0][0] == identifiers[1][0] and identifiers[0][1] != identifiers[1][1]  # type: ignore[index]


def test_case_colliding_fragment_links_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    source = tmp_path / "links.md"
    source.write_text('# T\n\n## Setup\n\n<a id="SETUP"></a>Anchor.\n\nSee [here](#Setup).\n', encoding="utf-8")
    runs = [
        Run([source], tmp_path / f"seed-{seed}", tmp_path, _environment(seed, epoch=EPOCH), ("--html",))
        for seed in ("1", "3")  # two seeds known to order that set differently
    ]
    pages = _export(*runs)
    assert pages[0] == pages[1]


# ---------------------------------------------------------------- the date itself, in process


def _document(last_updated: str = "") -> Document:
    metadata = f"**Last Updated:** {last_updated}\n\n" if last_updated else ""
    return parse(f"# Title\n\n{metadata}Body.\n", "doc.md")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", (2024, 3, 5)),
        ("2024-03-05T10:30:00Z (second draft)", (2024, 3, 5)),
        ("2024/3/5", (2024, 3, 5)),
        ("March 5, 2024", (2024, 3, 5)),
        ("Sept. 5th, 2024", (2024, 9, 5)),
        ("5 March 2024", (2024, 3, 5)),
        ("05 mar 2024", (2024, 3, 5)),
        ("2024-02-30", None),
        ("Smarch 5, 2024", None),
        ("last week", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: tuple[int, int, int] | None) -> None:
    parsed = parse_date(text)
    assert parsed == (datetime.datetime(*expected, tzinfo=datetime.UTC) if expected else None)


def test_epoch_wins_over_last_updated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", f" {EPOCH} ")
    assert document_moment(_document("2024-03-05")) == EPOCH_MOMENT


def test_without_epoch_last_updated_then_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert document_moment(_document("5 March 2024")) == datetime.datetime(2024, 3, 5, tzinfo=datetime.UTC)
    assert document_moment(_document()) is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")
    assert document_moment(_document()) is None


@pytest.mark.parametrize("value", ["soon", "-5", "1.5", "99999999999999999999"])
def test_an_unusable_epoch_still_gives_a_fixed_date(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert document_moment(_document("2024-03-05")) == datetime.datetime(2024, 3, 5, tzinfo=datetime.UTC)
    assert document_moment(_document()) == UNIX_EPOCH
