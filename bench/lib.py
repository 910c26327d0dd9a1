"""bench/lib.py: the tables' half of bench/lib.sh, shared by bench/daemon.sh,
bench/network.sh and bench/build.sh (imported by their inline Python with
sys.path set to bench/)."""
import csv
import os
import statistics


def read_samples(T):
    """$T/samples.csv as ({(row, col): [(round, us), ...]}, {(row, col): failures});
    failed commands' samples are left out."""
    data, failed = {}, {}
    for r in csv.DictReader(open(os.path.join(T, "samples.csv"))):
        key = (r["row"], r["col"])
        if r["rc"] != "0":
            failed[key] = failed.get(key, 0) + 1
            continue
        data.setdefault(key, []).append((int(r["round"]), int(r["us"])))
    return data, failed


def median(values):
    values = list(values)
    return statistics.median(values) if values else None


def ratio(a, b, two_digits=False):
    """a/b as '2.3x' ('' when either is missing or not positive); two_digits: '2.34x' below 10."""
    if a is None or b is None or a <= 0 or b <= 0:
        return ""
    if two_digits and a / b < 10:
        return f"{a / b:.2f}x"
    return f"{a / b:.1f}x"


def num(v, unit=""):
    """A value with about three significant digits."""
    if v is None:
        return ""
    return (f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}") + unit


def table(head, rows):
    """A markdown table: the first column left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    print("\n".join(lines))


def print_env(T):
    print("\nEnvironment:\n")
    for line in open(os.path.join(T, "env.txt")):
        print("    " + line.rstrip())
