"""Benchmark: a 20,000-row returned spreadsheet judged end to end, against plain reads.

Run: ``.venv/bin/python benchmarks/bench_spreadsheet.py [--rows N] [--repeat K]``.

It writes a realistic .xlsx (title rows, typed dates, NIRs typed as numbers and as
text, a few mistakes), then times, in the same run:
(a) python-calamine alone reading every cell of the sheet,
(b) openpyxl alone (read-only mode, iterating the values),
(c) ``judge_spreadsheet`` end to end (sniffing, zip guards, reading, judging),
(d) ``annotated_copy``, the .xlsx sent back with a status and a reason per row (it
reads the file again, then writes every row).
Each is the best of ``--repeat`` runs, wall clock and CPU (the judgement's CPU includes
the child process that reads the workbook in isolation). It prints rows per
second, the ratio (c)/(a) (target at most 4) and the peak memory of the judgement
(tracemalloc peak of Python allocations, and the process's maximum resident size;
target under 300 MB).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.config import Config  # noqa: E402
from intake.spreadsheet import judge_spreadsheet  # noqa: E402
from responders.annotate import annotated_copy  # noqa: E402

HEADER = [
    "Organisme",
    "Branche",
    "Nom",
    "Prénom",
    "NIR",
    "Date de naissance",
    "Email",
    "CQP",
    "Bloc(s)",
    "Certifiable à partir du",
    "Redoublant",
]


def _nir(index: int) -> str:
    body = f"{1 + index % 2}{60 + index % 40:02d}{1 + index % 12:02d}{index % 95 + 1:02d}{index % 1000:03d}{index // 1000 % 1000:03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def make_workbook(rows: int) -> bytes:
    import openpyxl

    rng = random.Random(2025)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Recueil")
    sheet.append(["Tableau de recueil d'informations — CQP 2025"])
    sheet.append([])
    sheet.append(HEADER)
    organisations = ["CAF du Rhône", "URSSAF Île-de-France", "CARSAT Bretagne", "CAF de l'Hérault"]
    for index in range(rows):
        nir = _nir(index)
        email = f"agent{index}@{rng.choice(['caf.fr', 'urssaf.fr', 'carsat-bretagne.fr'])}"
        if index % 61 == 0:
            email = "adresse incomplète@"
        certifiable: object = date(2025, 1 + index % 12, 1 + index % 28)
        if index % 7 == 0:
            certifiable = f"{1 + index % 28:02d}/{1 + index % 12:02d}/2025"
        sheet.append(
            [
                organisations[index % 4],
                ["Famille", "Recouvrement", "Retraite"][index % 3],
                f"NOM{index}",
                f"Prénom{index}",
                float(nir) if index % 2 else nir,
                date(1960 + index % 40, 1 + index % 12, 1 + index % 28),
                email,
                ["GC", "COS", "CQP GC"][index % 3],
                ["1", "1, 2", "Blocs 2 et 3", 3.0][index % 4],
                certifiable,
                "Oui" if index % 97 == 0 else "Non",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the isolated reader)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def best(function: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Best wall-clock and CPU seconds over ``repeat`` runs, and the last result."""
    walls, cpus = [], []
    result: object = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), _cpu()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu() - cpu)
    return min(walls), min(cpus), result


def read_calamine(data: bytes) -> int:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return sum(len(book.get_sheet_by_name(name).to_python()) for name in book.sheet_names)


def read_openpyxl(data: bytes) -> int:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = 0
    for sheet in book.worksheets:
        for _row in sheet.iter_rows(values_only=True):
            count += 1
    book.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    data = make_workbook(args.rows)
    config = Config()
    mail_date = datetime(2025, 3, 31, 18, 0, tzinfo=UTC)
    print(f"{args.rows} candidate rows, {len(data) / 1e6:.1f} MB .xlsx, best of {args.repeat}")

    # Warm up imports, compiled patterns and the first-use costs of every library.
    read_calamine(data)
    judge_spreadsheet(data, "recueil.xlsx", mail_date, config)

    def judge() -> object:
        return judge_spreadsheet(data, "recueil.xlsx", mail_date, config)

    results = {
        "calamine": best(lambda: read_calamine(data), args.repeat),
        "openpyxl": best(lambda: read_openpyxl(data), min(args.repeat, 2)),
        "judge": best(judge, args.repeat),
    }
    judged = judge_spreadsheet(data, "recueil.xlsx", mail_date, config)
    results["annotate"] = best(
        lambda: annotated_copy(data, "recueil.xlsx", judged), min(args.repeat, 3)
    )
    for name, (wall, cpu, _) in results.items():
        print(f"  {name:9s} {wall:7.3f} s wall {cpu:7.3f} s CPU  {args.rows / wall:10,.0f} rows/s")
    calamine_wall, calamine_cpu, _ = results["calamine"]
    judge_wall, judge_cpu, judgement = results["judge"]
    openpyxl_wall = results["openpyxl"][0]
    print(f"  openpyxl/calamine: {openpyxl_wall / calamine_wall:.1f}")
    print(
        f"  judge/calamine:    {judge_wall / calamine_wall:.2f} wall, "
        f"{judge_cpu / calamine_cpu:.2f} CPU (target <= 4)"
    )
    summary = judgement.summary  # type: ignore[attr-defined]
    print(f"  summary: {summary.to_json()}")

    tracemalloc.start()
    judge()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # ru_maxrss is in kilobytes on Linux. The process figure includes the benchmark's
    # own copies (the file bytes, the openpyxl run); the child figure is the largest
    # reader process (the workbook is read in isolation, then handed back).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"  peak memory: {peak / 2**20:.0f} MB Python allocations (tracemalloc), "
        f"{rss:.0f} MB process RSS, {child:.0f} MB reader child RSS (target < 300 MB)"
    )


if __name__ == "__main__":
    main()
