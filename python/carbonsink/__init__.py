"""carbonsink from Python: validate and run a config, get the district results as numpy arrays.

    import carbonsink
    problems = carbonsink.validate("city.yaml")       # [] when the config is fine
    result = carbonsink.run("city.yaml", threads=2)   # a Result; raises carbonsink.Error
    result.districts.total_mg_c                       # numpy array [district, epoch]
    ds = result.to_xarray()                           # xarray.Dataset with named dimensions

A config is a YAML file (str or os.PathLike) or a dict with the same keys as the YAML file;
the relative paths of a dict are resolved against ``base_dir`` (the current directory by
default). The computation runs in C++ with the GIL released; Ctrl-C (KeyboardInterrupt)
cancels a run cleanly: the output folder is left as it was and the checkpoint is kept, so
``run(..., resume=True)`` continues it. README "Use it from Python" has a worked example.
"""

import collections
import collections.abc
import json
import os
import re

from . import _carbonsink

__all__ = [
    "Error",
    "Intervals",
    "Level",
    "ProgressEvent",
    "Result",
    "Validation",
    "models",
    "run",
    "validate",
    "yaml_text",
    "__version__",
]

#: The project version, as ``carbonsink --version`` prints it first.
__version__ = _carbonsink.version()

#: carbonsink.Error (a RuntimeError): attributes ``kind`` ("invalid": bad config or input;
#: "failed": failure while running, e.g. I/O; "cancelled"), ``messages`` (list of str, word for
#: word the lines the CLI prints after "error: "), ``notes`` (the lines it prints after "note: ",
#: e.g. how to resume after a full disk) and ``exit_code`` (the CLI's: 2, 1 or 130).
#: ``str(error)`` is the messages, one a line.
Error = _carbonsink.Error

#: One progress report handed to run()'s ``progress`` callback: a phase line (``total`` 0,
#: ``detail`` the CLI's text) or a count of blocks ``done`` out of ``total`` in ``phase``.
ProgressEvent = collections.namedtuple("ProgressEvent", ["phase", "detail", "done", "total"])


class Validation(list):
    """What validate() returns: the list of errors (empty when the config is fine), each as the
    CLI prints it after "error: ". Also ``warnings`` (list of str, as the CLI prints them after
    "warning: "), ``summary`` (e.g. "<W> x <H> px, <E> epochs, ...") and ``ok``."""

    def __init__(self, errors, warnings, summary):
        super().__init__(errors)
        self.warnings = list(warnings)
        self.summary = summary

    @property
    def errors(self):
        return list(self)

    @property
    def ok(self):
        return len(self) == 0


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")


def _scalar(value):
    """One YAML scalar: JSON's double-quoted strings are YAML double-quoted scalars (the same
    escapes), numbers and booleans are written as JSON writes them."""
    if value is None:
        return "null"
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, (bool, int, float, str)):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"carbonsink: the config dict holds a {type(value).__name__} ({value!r}): use "
                    "str, numbers, bools, None, lists and dicts (paths as str)")


def _yaml_lines(value, indent, out):
    pad = " " * indent
    if isinstance(value, collections.abc.Mapping):
        for k, v in value.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"carbonsink: config key {k!r} is not a str or an int")
            key = str(k) if _PLAIN_KEY.match(str(k)) else json.dumps(str(k), ensure_ascii=False)
            if isinstance(v, collections.abc.Mapping) and v:
                out.append(f"{pad}{key}:")
                _yaml_lines(v, indent + 2, out)
            elif isinstance(v, (list, tuple)) and v:
                out.append(f"{pad}{key}:")
                _yaml_lines(v, indent + 2, out)
            else:
                out.append(f"{pad}{key}: {_inline(v)}")
    else:
        for v in value:
            if isinstance(v, (collections.abc.Mapping, list, tuple)) and v:
                # "- " then the item's lines indented under it.
                sub = []
                _yaml_lines(v, indent + 2, sub)
                out.append(f"{pad}- {sub[0][indent + 2:]}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {_inline(v)}")


def _inline(value):
    if isinstance(value, collections.abc.Mapping):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return _scalar(value)


def yaml_text(config):
    """The YAML text run() and validate() pass to carbonsink for a dict config, in block style,
    one key a line: the line numbers of their messages ("(config text), line 7") are lines of
    this text. Raises TypeError for a value that is not str, number, bool, None, list or dict."""
    if not isinstance(config, collections.abc.Mapping):
        raise TypeError(f"carbonsink.yaml_text: a dict is needed, not {type(config).__name__}")
    out = []
    _yaml_lines(config, 0, out)
    return "\n".join(out) + "\n"


def _source(config, base_dir):
    """(path, yaml_text, base_dir) for the extension from a path or a dict."""
    if isinstance(config, (str, os.PathLike)):
        if base_dir is not None:
            raise TypeError("carbonsink: base_dir applies to a dict config only; a config file's "
                            "relative paths are resolved against the file's folder")
        return os.fspath(config), None, ""
    if isinstance(config, collections.abc.Mapping):
        # Written as YAML here (Python's yaml module is not needed).
        base = os.path.abspath(os.fspath(base_dir) if base_dir is not None else os.getcwd())
        return None, yaml_text(config), base
    raise TypeError("carbonsink: config must be a path (str or os.PathLike) to a YAML file or a "
                    f"dict of the config's keys, not {type(config).__name__}")


def validate(config, *, base_dir=None, threads=0):
    """Check a config and its inputs as ``carbonsink validate`` does; nothing is written.

    config: path of a YAML config, or a dict of its keys (relative paths resolved against
    ``base_dir``, default the current directory). Returns a Validation: the list of errors
    (empty when fine) with ``.warnings`` and ``.summary``. Raises carbonsink.Error only when
    validation itself cannot proceed, TypeError for a config of the wrong type."""
    path, text, base = _source(config, base_dir)
    errors, warnings, summary = _carbonsink.validate(path, text, base, int(threads))
    return Validation(errors, warnings, summary)


def run(config, threads=0, output_dir=None, progress=None, *, resume=False, base_dir=None):
    """Run a config as ``carbonsink run`` does and return its Result.

    config: path or dict as for validate(). threads: worker threads, as the CLI's --threads
    (0: every core). output_dir: replaces the config's output_dir. progress: called with a
    ProgressEvent on the calling thread while the run computes; an exception it raises cancels
    the run and propagates. resume: continue a cancelled or killed run from its checkpoint.

    Raises carbonsink.Error (kind "invalid" for a bad config or input, "failed" otherwise),
    KeyboardInterrupt on Ctrl-C (the run is cancelled: nothing is written to the output folder
    and the checkpoint is kept for resume=True)."""
    path, text, base = _source(config, base_dir)
    callback = None
    if progress is not None:
        if not callable(progress):
            raise TypeError("carbonsink.run: progress must be callable (it receives a "
                            "ProgressEvent) or None")

        def callback(event):
            progress(ProgressEvent(*event))

    out = None if output_dir is None else os.path.abspath(os.fspath(output_dir))
    return Result(_carbonsink.run(path, text, base, int(threads), out, bool(resume), callback))


def models():
    """Every model this build provides, as ``carbonsink models`` lists them: a list of dicts
    with name, section, method, summary, inputs, parameters (dicts of name, unit, description,
    source), outputs and reference."""
    return _carbonsink.models()


class Intervals:
    """The uncertainty of one figure: ``mean``, ``sd``, ``ci_low``, ``ci_high``, numpy arrays of
    the figure's shape."""

    __slots__ = ("mean", "sd", "ci_low", "ci_high")

    def __init__(self, parts):
        for k in self.__slots__:
            setattr(self, k, parts[k])

    def __repr__(self):
        return f"Intervals(shape={self.mean.shape})"


class Level:
    """The results of one level (the districts, or a parent level such as a city): D units,
    E epochs, K = E-1 periods, P pools, M months.

    level (str), ids (int64 [D]), names, names_en (lists of str; names_en empty without
    districts.name_field_en), area_ha [D], stock_mg_c [D, E, P], total_mg_c [D, E] (Mg C),
    valid_area_ha [D, E] (area with a stock result),
    stock_change_mg_c_per_yr [D, K] (Mg C/yr, positive = uptake),
    net_emissions_mg_co2_per_yr [D, K] (Mg CO2/yr, negative = net removal), monthly (dict of
    the NEP model's series, [D, M] each; empty without models.nep), uncertainty (dict of figure
    name -> Intervals; empty without ``uncertainty``), uncertainty_label (str)."""

    def __init__(self, d):
        self.level = d["level"]
        self.ids = d["ids"]
        self.names = d["names"]
        self.names_en = d["names_en"]
        self.area_ha = d["area_ha"]
        self.stock_mg_c = d["stock_mg_c"]
        self.total_mg_c = d["total_mg_c"]
        self.valid_area_ha = d["valid_area_ha"]
        self.stock_change_mg_c_per_yr = d["stock_change_mg_c_per_yr"]
        self.net_emissions_mg_co2_per_yr = d["net_emissions_mg_co2_per_yr"]
        self.monthly = d["monthly"]
        self.uncertainty = {k: Intervals(v) for k, v in d["uncertainty"].items()}
        self.uncertainty_label = d["uncertainty_label"]

    def __len__(self):
        return len(self.ids)

    def __repr__(self):
        return f"Level({self.level!r}, {len(self.ids)} units)"


# Names, units and descriptions of the xarray variables: those of results.h5 (/levels/<level>,
# /nep and /uncertainty; interface.md "Outputs people open"), so that code reading either
# source sees the same names.
_FIGURES = {
    # API name: (xarray name, trailing dims, units, long_name, sign convention)
    "area_ha": ("area_ha", (), "ha", "area of the unit on the grid", None),
    "stock_mg_c": ("stocks_mg_c", ("epoch", "pool"), "Mg C", "carbon stock of the pool", None),
    "total_mg_c": ("total_mg_c", ("epoch",), "Mg C", "carbon stock of all pools", None),
    "valid_area_ha": ("valid_area_ha", ("epoch",), "ha", "area with a valid stock in the epoch",
                      None),
    "stock_change_mg_c_per_yr": ("stock_change_mg_c_per_yr", ("period",), "Mg C/yr",
                                 "annual carbon stock change", "positive = uptake (sink)"),
    "net_emissions_mg_co2_per_yr": ("net_emissions_mg_co2_per_yr", ("period",), "Mg CO2/yr",
                                    "annual net CO2 emissions",
                                    "negative = net removal (inventory convention)"),
}
_MONTHLY_LONG_NAMES = {
    "npp_mg_c": "net primary production of the month",
    "rh_mg_c": "heterotrophic (soil microbial) respiration of the month",
    "nep_mg_c": "net ecosystem production of the month",
    "net_emissions_mg_co2": "net CO2 emissions of the month (-44/12 x NEP)",
    "nep_invalid_area_ha": ("area of the unit without NEP that month (nodata in an input, or a "
                            "land-cover class without a CASA vegetation type)"),
}
_INTERVAL_LONG_NAMES = {
    "mean": "mean of the Monte Carlo draws",
    "sd": "standard deviation of the Monte Carlo draws",
    "ci_low": "lower bound of the confidence interval",
    "ci_high": "upper bound of the confidence interval",
}


def _units_of(name):
    for suffix, units in (("_mg_co2_per_yr", "Mg CO2/yr"), ("_mg_c_per_yr", "Mg C/yr"),
                          ("_mg_co2", "Mg CO2"), ("_mg_c", "Mg C"), ("_ha", "ha")):
        if name.endswith(suffix):
            return units
    return "1"


class Result:
    """What run() returns: the same numbers as results.h5 and districts.csv.

    output_dir (where the outputs were committed), years (int32 [E]), periods (["2015-2020",
    ...], K = E-1), pools (list of str [P]), months (["YYYY-MM", ...] [M]; empty without
    models.nep), levels (list of Level: the districts first, then each parent level),
    districts (= levels[0]), warnings (list of str, as the CLI prints them), outputs (the files
    written, relative to output_dir)."""

    def __init__(self, d):
        self.output_dir = d["output_dir"]
        self.years = d["years"]
        self.pools = d["pools"]
        self.months = d["months"]
        self.warnings = d["warnings"]
        self.outputs = d["outputs"]
        self.levels = [Level(lv) for lv in d["levels"]]
        years = [int(y) for y in self.years]
        self.periods = [f"{a}-{b}" for a, b in zip(years, years[1:])]

    @property
    def districts(self):
        return self.levels[0]

    def level(self, name):
        """The Level called ``name`` ("district" or a parent level's name)."""
        for lv in self.levels:
            if lv.level == name:
                return lv
        known = ", ".join(lv.level for lv in self.levels)
        raise KeyError(f"carbonsink.Result: no level {name!r}; the levels are: {known}")

    def __repr__(self):
        return (f"Result({len(self.districts)} districts, years {[int(y) for y in self.years]}, "
                f"pools {self.pools}, output_dir {self.output_dir!r})")

    def to_xarray(self, level=0):
        """The results of one level (index or name; the districts by default) as an
        xarray.Dataset with the dimensions and variable names of results.h5: district (``unit``
        for a parent level, as /levels/<level>), epoch (years), period ("2015-2020"), pool and
        month (yyyymm, with models.nep); coordinates name (and name_en), start_year and
        end_year; variables area_ha, stocks_mg_c, total_mg_c, stock_change_mg_c_per_yr,
        net_emissions_mg_co2_per_yr, the month series (nep_mg_c, ...) and, with uncertainty,
        <figure>_mean, _sd, _ci_low, _ci_high; each with ``units`` and ``long_name``."""
        try:
            import xarray as xr
        except ImportError as e:
            raise ImportError("carbonsink.Result.to_xarray needs xarray, which does not import "
                              f"here ({e}): install python3-xarray (Debian) or `pip install "
                              "xarray`; the numpy arrays of result.levels need nothing more") \
                from e
        import numpy as np

        lv = self.levels[level] if isinstance(level, int) else self.level(level)
        is_district = lv is self.levels[0]
        dim = "district" if is_district else "unit"
        years = np.asarray(self.years, dtype=np.int32)
        coords = {
            dim: (dim, np.asarray(lv.ids, dtype=np.int64),
                  {"units": "1", "long_name": "district id (districts.csv district_id)"
                   if is_district else "id of the unit of this hierarchy level"}),
            "name": (dim, list(lv.names), {"units": "1", "long_name": f"{lv.level} name"}),
            "epoch": ("epoch", years, {"units": "year", "long_name": "year of the land-cover epoch"}),
            "pool": ("pool", list(self.pools), {"units": "1", "long_name": "carbon pool"}),
            "period": ("period", list(self.periods),
                       {"units": "1",
                        "long_name": "period between consecutive epochs, start_year-end_year"}),
            "start_year": ("period", years[:-1],
                           {"units": "year", "long_name": "first epoch year of the period"}),
            "end_year": ("period", years[1:],
                         {"units": "year", "long_name": "last epoch year of the period"}),
        }
        if lv.names_en:
            coords["name_en"] = (dim, list(lv.names_en),
                                 {"units": "1",
                                  "long_name": f"{lv.level} name in the second language"})
        if self.months:
            yyyymm = np.asarray([int(m.replace("-", "")) for m in self.months], dtype=np.int32)
            coords["month"] = ("month", yyyymm, {"units": "yyyymm", "long_name": "month of the run"})

        data_vars = {}

        def attrs_of(units, long_name, sign=None):
            a = {"units": units, "long_name": long_name}
            if sign:
                a["sign_convention"] = sign
            return a

        for api, (name, dims, units, long_name, sign) in _FIGURES.items():
            data_vars[name] = ((dim,) + dims, getattr(lv, api), attrs_of(units, long_name, sign))
        for series, values in lv.monthly.items():
            data_vars[series] = ((dim, "month"), values,
                                 attrs_of(_units_of(series),
                                          _MONTHLY_LONG_NAMES.get(series, series)))
        for figure, iv in lv.uncertainty.items():
            if figure in _FIGURES:
                name, dims, units, long_name, _ = _FIGURES[figure]
            else:
                name, dims, units, long_name = figure, ("month",), _units_of(figure), figure
            for part, part_long in _INTERVAL_LONG_NAMES.items():
                data_vars[f"{name}_{part}"] = (
                    (dim,) + dims, getattr(iv, part),
                    dict(attrs_of(units, f"{long_name}: {part_long}"), method=lv.uncertainty_label))
        attrs = {"level": lv.level, "source": f"carbonsink {__version__}",
                 "output_dir": self.output_dir}
        if lv.uncertainty_label:
            attrs["uncertainty"] = lv.uncertainty_label
        return xr.Dataset(data_vars=data_vars, coords=coords, attrs=attrs)
