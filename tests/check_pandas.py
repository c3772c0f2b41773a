#!/usr/bin/python3
"""Read districts.csv and districts.xlsx the way a pandas user does, and check what they get.

usage: check_pandas.py OUTPUT_DIR
Exit 0 when every check passes, 1 on a failed check, 77 when pandas or openpyxl (pandas' XLSX
reader) is missing.

Checked, against the csv module's reading of the same file (independent of pandas):
- pd.read_csv(districts.csv) with no options: every figure column (area, stocks, changes,
  intervals, ids) comes out numeric, names and `level` as text, every name intact (any script);
- pd.read_excel(districts.xlsx, sheet_name=None): the sheets districts / transitions / columns;
  the districts sheet has the CSV's columns in order, its figures are numbers equal to the
  CSV's (to 1e-12 relative: the XLSX cell holds the decimal text of the double), its names equal;
  the transitions sheet has the rows of transitions.csv plus the class-name columns; the columns
  sheet gives a unit for every districts column.
"""
import csv
import math
import os
import sys

try:
    import pandas as pd
    import openpyxl  # noqa: F401  (pandas' engine for .xlsx)
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}")
    sys.exit(77)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


TEXT_COLUMNS = {"district_name", "district_name_en", "level"}


def close(a, b):
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def main(out):
    path = os.path.join(out, "districts.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]

    df = pd.read_csv(path)
    check(list(df.columns) == header, f"read_csv: columns {list(df.columns)} == {header}")
    check(len(df) == len(body), f"read_csv: {len(df)} rows == {len(body)}")
    for j, c in enumerate(header):
        if c in TEXT_COLUMNS:
            got = ["" if (isinstance(v, float) and math.isnan(v)) else str(v) for v in df[c]]
            check(got == [r[j] for r in body], f"read_csv: column {c} text intact")
        else:
            check(pd.api.types.is_numeric_dtype(df[c]),
                  f"read_csv: column {c} is numeric (dtype {df[c].dtype})")
            for i, r in enumerate(body):
                if r[j] == "":
                    check(math.isnan(df[c].iloc[i]), f"read_csv: {c} row {i} empty -> NaN")
                else:
                    check(close(float(df[c].iloc[i]), float(r[j])),
                          f"read_csv: {c} row {i}: {df[c].iloc[i]} == {r[j]}")

    xlsx = os.path.join(out, "districts.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None)
    has_transitions = os.path.exists(os.path.join(out, "transitions.csv"))
    expected = ["districts"] + (["transitions"] if has_transitions else []) + ["columns"]
    check(list(sheets) == expected, f"read_excel: sheets {list(sheets)} == {expected}")
    d = sheets.get("districts")
    if d is not None:
        check(list(d.columns) == header, "read_excel districts: the CSV's columns in order")
        check(len(d) == len(body), f"read_excel districts: {len(d)} rows == {len(body)}")
        for j, c in enumerate(header):
            if c not in d.columns:
                continue
            for i, r in enumerate(body[: len(d)]):
                v = d[c].iloc[i]
                if c in TEXT_COLUMNS:
                    got = "" if (isinstance(v, float) and math.isnan(v)) else str(v)
                    check(got == r[j], f"read_excel districts: {c} row {i}: {got!r} == {r[j]!r}")
                elif r[j] == "":
                    check(isinstance(v, float) and math.isnan(v),
                          f"read_excel districts: {c} row {i} empty")
                else:
                    check(not isinstance(v, str), f"read_excel districts: {c} row {i} is a number")
                    check(not isinstance(v, str) and close(float(v), float(r[j])),
                          f"read_excel districts: {c} row {i}: {v} == {r[j]}")
    if has_transitions:
        with open(os.path.join(out, "transitions.csv"), newline="", encoding="utf-8") as f:
            trows = list(csv.reader(f))
        t = sheets.get("transitions")
        if t is not None:
            want = []
            for c in trows[0]:
                want.append(c)
                if c in ("from_class", "to_class"):
                    want.append(c + "_name")
            check(list(t.columns) == want, f"read_excel transitions: columns {list(t.columns)}")
            check(len(t) == len(trows) - 1, "read_excel transitions: the rows of transitions.csv")
            for i, r in enumerate(trows[1 : len(t) + 1]):
                for j, c in enumerate(trows[0]):
                    check(close(float(t[c].iloc[i]), float(r[j])),
                          f"read_excel transitions: {c} row {i}: {t[c].iloc[i]} == {r[j]}")
    cols = sheets.get("columns")
    if cols is not None:
        check(list(cols["column"]) == header, "read_excel columns: one row per districts column")
        unit = dict(zip(cols["column"], cols["unit"]))
        check(unit.get("area_ha") == "ha", f"read_excel columns: area_ha in ha ({unit.get('area_ha')})")
        for c in header:
            if c.startswith("stock_mg_c_") and not c.endswith(("_ci_low", "_ci_high")):
                check(unit.get(c) == "Mg C", f"read_excel columns: {c} in Mg C ({unit.get(c)})")
    print(f"pandas: {len(header)} columns x {len(body)} rows read as typed; "
          f"xlsx sheets {list(sheets)}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1])
    sys.exit(1 if failures else 0)
