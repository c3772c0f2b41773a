"""The Python module carbonsink (README "Use it from Python"), run by ctest as python_module.

Inputs are built here with GDAL's Python bindings. The hand-worked scenario is the one of
tests/test_integration.cpp (HandWorkedDistrictTotals): 40 x 30 px of 30 m in EPSG:6933, an
equal-area CRS, so every pixel is exactly 0.09 ha of ground.
2010: columns 0-19 class 1 (cropland), columns 20-39 class 2 (forest).
2020: as 2010, but rows 0-9 of columns 0-19 become forest, the 10 x 10 block columns 30-39,
      rows 20-29 becomes class 3 (settlement), and pixel (col 5, row 25) is nodata.
Pools (Mg C/ha): 1 = 10 + 2 + 50 + 1 = 63; 2 = 100 + 20 + 80 + 5 = 205; 3 = 0 + 0 + 30 + 0.
Districts on pixel edges: A id 11 = columns 0-19; B id 22 = columns 20-39 rows 0-14;
C id 33 = columns 20-39 rows 15-29.
"""

import os
import signal
import threading
import time

import numpy as np
import pytest

carbonsink = pytest.importorskip("carbonsink")
gdal = pytest.importorskip("osgeo.gdal")
ogr = pytest.importorskip("osgeo.ogr")
osr = pytest.importorskip("osgeo.osr")

gdal.UseExceptions()

PX_HA = 0.09
ORIGIN_X, ORIGIN_Y = 500000.0, 4600000.0
POOLS = ("lucode,LULC_Name,C_above,c_below,c_soil,c_dead\n"
         "1,cropland,10,2,50,1\n"
         "2,forest,100,20,80,5\n"
         "3,settlement,0,0,30,0\n")


def write_raster(path, values):
    """A Byte GeoTIFF of `values` (rows x columns) in EPSG:6933, 30 m pixels, nodata 255."""
    h, w = values.shape
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, 1, gdal.GDT_Byte)
    ds.SetGeoTransform((ORIGIN_X, 30.0, 0.0, ORIGIN_Y, 0.0, -30.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(6933)
    ds.SetSpatialRef(srs)
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(255)
    band.WriteArray(values)
    ds = None


def write_districts(path, rects, cities=None):
    """A GeoPackage of rectangles (id, name, c0, r0, c1, r1): pixel columns [c0, c1), rows
    [r0, r1); with `cities` (district id -> city id) a field `city` too."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(6933)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    layer = ds.CreateLayer("districts", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("code", ogr.OFTInteger64))
    layer.CreateField(ogr.FieldDefn("name", ogr.OFTString))
    if cities:
        layer.CreateField(ogr.FieldDefn("city", ogr.OFTInteger64))
    for ident, name, c0, r0, c1, r1 in rects:
        x0, x1 = ORIGIN_X + c0 * 30.0, ORIGIN_X + c1 * 30.0
        y0, y1 = ORIGIN_Y - r0 * 30.0, ORIGIN_Y - r1 * 30.0
        f = ogr.Feature(layer.GetLayerDefn())
        f.SetField("code", ident)
        f.SetField("name", name)
        if cities:
            f.SetField("city", cities[ident])
        f.SetGeometry(ogr.CreateGeometryFromWkt(
            f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"))
        layer.CreateFeature(f)
    ds = None


def config_dict(**extra):
    cfg = {
        "name": "scenario",
        "output_dir": "out",
        "land_cover": {"epochs": {2010: "lc2010.tif", 2020: "lc2020.tif"}},
        "districts": {"path": "districts.gpkg", "id_field": "code", "name_field": "name"},
        "models": {"stocks": {"method": "lookup", "table": "pools.csv"},
                   "sink": {"method": "stock_difference"}},
    }
    cfg.update(extra)
    return cfg


CONFIG_YAML = """name: scenario
output_dir: out
land_cover:
  epochs:
    2010: lc2010.tif
    2020: lc2020.tif
districts:
  path: districts.gpkg
  id_field: code
  name_field: name
models:
  stocks:
    method: lookup
    table: pools.csv
  sink:
    method: stock_difference
"""


@pytest.fixture
def scenario(tmp_path):
    lc2010 = np.where(np.arange(40)[None, :] < 20, 1, 2).repeat(30, axis=0).astype(np.uint8)
    lc2020 = lc2010.copy()
    lc2020[0:10, 0:20] = 2
    lc2020[20:30, 30:40] = 3
    lc2020[25, 5] = 255
    write_raster(tmp_path / "lc2010.tif", lc2010)
    write_raster(tmp_path / "lc2020.tif", lc2020)
    (tmp_path / "pools.csv").write_text(POOLS)
    write_districts(tmp_path / "districts.gpkg",
                    [(33, "C", 20, 15, 40, 30), (11, "A", 0, 0, 20, 30),
                     (22, "B, north", 20, 0, 40, 15)])
    (tmp_path / "run.yaml").write_text(CONFIG_YAML)
    return tmp_path


def check_hand_worked(r):
    """The totals of the scenario, worked by hand (module docstring)."""
    assert list(r.years) == [2010, 2020]
    assert r.pools == ["above_ground", "below_ground", "soil", "dead_organic_matter"]
    assert r.periods == ["2010-2020"]
    d = r.districts
    assert d.level == "district"
    assert d.ids.dtype == np.int64
    assert list(d.ids) == [11, 22, 33]  # ascending, whatever the order in the file
    assert d.names == ["A", "B, north", "C"]
    assert d.area_ha.shape == (3,)
    assert d.stock_mg_c.shape == (3, 2, 4)
    assert d.total_mg_c.shape == (3, 2)
    assert d.stock_change_mg_c_per_yr.shape == (3, 1)
    assert d.net_emissions_mg_co2_per_yr.shape == (3, 1)
    # A: 20 x 30 px = 54 ha. 2010: 600 px x 0.09 x 63 = 3402. 2020: 200 px forest (18 ha x 205
    # = 3690) + 399 valid cropland px (35.91 ha x 63 = 2262.33) = 5952.33. Change over pixels
    # valid in both epochs: 200 px x 0.09 x (205 - 63) / 10 = 255.6; emissions -44/12 x 255.6.
    # B: 27 ha of forest, 27 x 205 = 5535 both years. C: 27 ha; 2020: 9 ha x 30 + 18 x 205 =
    # 3960; change (3960 - 5535) / 10 = -157.5.
    np.testing.assert_allclose(d.area_ha, [54.0, 27.0, 27.0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(d.total_mg_c, [[3402.0, 5952.33], [5535.0, 5535.0],
                                              [5535.0, 3960.0]], rtol=0, atol=1e-6)
    np.testing.assert_allclose(d.stock_change_mg_c_per_yr[:, 0], [255.6, 0.0, -157.5],
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(d.net_emissions_mg_co2_per_yr[:, 0],
                               [-44 / 12 * 255.6, 0.0, 44 / 12 * 157.5], rtol=0, atol=1e-6)
    # A 2020 per pool: above 18 x 100 + 35.91 x 10, soil 18 x 80 + 35.91 x 50.
    assert d.stock_mg_c[0, 1, 0] == pytest.approx(18 * 100 + 35.91 * 10, abs=1e-6)
    assert d.stock_mg_c[0, 1, 2] == pytest.approx(18 * 80 + 35.91 * 50, abs=1e-6)
    # The pools add up to the total.
    np.testing.assert_allclose(d.stock_mg_c.sum(axis=2), d.total_mg_c, rtol=1e-12)


def test_version_and_models():
    assert carbonsink.__version__ == "0.1.0"
    models = carbonsink.models()
    names = [m["name"] for m in models]
    assert "stocks.lookup" in names
    m = models[names.index("stocks.lookup")]
    assert m["section"] == "stocks"
    assert m["method"] == "lookup"
    assert isinstance(m["parameters"], list)
    for p in m["parameters"]:
        assert set(p) == {"name", "unit", "description", "source"}


def test_run_file_hand_worked_totals(scenario):
    r = carbonsink.run(scenario / "run.yaml", threads=2)
    check_hand_worked(r)
    assert os.path.samefile(r.output_dir, scenario / "out")
    assert "districts.csv" in r.outputs and "results.h5" in r.outputs
    for name in r.outputs:
        assert (scenario / "out" / name).exists(), name
    assert isinstance(r.warnings, list)
    assert r.districts is r.levels[0]
    assert r.level("district") is r.districts
    with pytest.raises(KeyError, match="no level 'city'; the levels are: district"):
        r.level("city")


def test_run_dict_resolved_against_base_dir_and_output_dir(scenario, tmp_path_factory):
    out = tmp_path_factory.mktemp("elsewhere") / "o"
    r = carbonsink.run(config_dict(), output_dir=out, base_dir=scenario)
    check_hand_worked(r)
    assert os.path.samefile(r.output_dir, out)
    assert (out / "results.h5").exists()
    assert not (scenario / "out").exists()


def test_run_dict_relative_to_current_directory(scenario, monkeypatch):
    monkeypatch.chdir(scenario)
    check_hand_worked(carbonsink.run(config_dict(), threads=1))
    assert (scenario / "out" / "districts.csv").exists()


def test_to_xarray_dims_coords_units(scenario):
    xr = pytest.importorskip("xarray")
    r = carbonsink.run(scenario / "run.yaml")
    ds = r.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert dict(ds.sizes) == {"district": 3, "epoch": 2, "pool": 4, "period": 1}
    assert ds["stocks_mg_c"].dims == ("district", "epoch", "pool")
    assert ds["total_mg_c"].dims == ("district", "epoch")
    assert ds["stock_change_mg_c_per_yr"].dims == ("district", "period")
    assert ds["net_emissions_mg_co2_per_yr"].dims == ("district", "period")
    assert ds["area_ha"].dims == ("district",)
    assert list(ds["district"].values) == [11, 22, 33]
    assert list(ds["name"].values) == ["A", "B, north", "C"]
    assert list(ds["epoch"].values) == [2010, 2020]
    assert list(ds["period"].values) == ["2010-2020"]
    assert ds["stocks_mg_c"].attrs["units"] == "Mg C"
    assert ds["stock_change_mg_c_per_yr"].attrs["units"] == "Mg C/yr"
    assert ds["net_emissions_mg_co2_per_yr"].attrs["units"] == "Mg CO2/yr"
    assert ds["area_ha"].attrs["units"] == "ha"
    for name, var in ds.variables.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    # Label selection as on results.h5: A's 2020 soil, hand-worked above.
    assert ds.stocks_mg_c.sel(district=11, epoch=2020, pool="soil").item() == pytest.approx(
        18 * 80 + 35.91 * 50, abs=1e-6)
    assert ds.total_mg_c.sel(district=33, epoch=2020).item() == pytest.approx(3960.0, abs=1e-6)


def test_to_xarray_names_match_results_h5(scenario):
    """The dimension names and coordinates of to_xarray() are those xarray gives results.h5."""
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    r = carbonsink.run(scenario / "run.yaml")
    ds = r.to_xarray()
    h5 = os.path.join(r.output_dir, "results.h5")
    with xr.open_dataset(h5, engine="h5netcdf", group="/stocks") as st:
        assert st["mg_c"].dims == ds["stocks_mg_c"].dims
        assert st["total_mg_c"].dims == ds["total_mg_c"].dims
        np.testing.assert_array_equal(st["district"].values, ds["district"].values)
        np.testing.assert_array_equal(st["epoch"].values, ds["epoch"].values)
        assert list(st["pool"].values) == list(ds["pool"].values)
        np.testing.assert_array_equal(st["mg_c"].values, ds["stocks_mg_c"].values)
    with xr.open_dataset(h5, engine="h5netcdf", group="/flux") as fl:
        assert fl["stock_change_mg_c_per_yr"].dims == ds["stock_change_mg_c_per_yr"].dims
        assert list(fl["period"].values) == list(ds["period"].values)
        assert fl["net_emissions_mg_co2_per_yr"].attrs["units"] == \
            ds["net_emissions_mg_co2_per_yr"].attrs["units"]


def test_parent_level_totals_and_xarray_unit_dimension(scenario):
    write_districts(scenario / "districts.gpkg",
                    [(33, "C", 20, 15, 40, 30), (11, "A", 0, 0, 20, 30),
                     (22, "B, north", 20, 0, 40, 15)], cities={11: 1, 22: 2, 33: 2})
    cfg = config_dict()
    cfg["districts"]["parents"] = [{"level": "city", "id_field": "city"}]
    r = carbonsink.run(cfg, base_dir=scenario)
    check_hand_worked(r)
    assert [lv.level for lv in r.levels] == ["district", "city"]
    city = r.level("city")
    assert city is r.levels[1]
    assert list(city.ids) == [1, 2]
    # City 1 = A; city 2 = B + C: 2010 5535 + 5535, 2020 5535 + 3960, change 0 - 157.5.
    np.testing.assert_allclose(city.total_mg_c, [[3402.0, 5952.33], [11070.0, 9495.0]],
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(city.stock_change_mg_c_per_yr[:, 0], [255.6, -157.5],
                               rtol=0, atol=1e-6)
    np.testing.assert_allclose(city.area_ha, [54.0, 54.0], rtol=0, atol=1e-9)
    xr = pytest.importorskip("xarray")
    ds = r.to_xarray("city")
    assert ds.attrs["level"] == "city"
    assert ds["stocks_mg_c"].dims == ("unit", "epoch", "pool")
    assert list(ds["unit"].values) == [1, 2]
    assert ds.total_mg_c.sel(unit=2, epoch=2020).item() == pytest.approx(9495.0, abs=1e-6)
    # As /levels/city of results.h5 opened by xarray.
    with xr.open_dataset(os.path.join(r.output_dir, "results.h5"), engine="h5netcdf",
                         group="/levels/city") as h5:
        assert h5["stocks_mg_c"].dims == ds["stocks_mg_c"].dims
        np.testing.assert_array_equal(h5["unit"].values, ds["unit"].values)
        np.testing.assert_array_equal(h5["total_mg_c"].values, ds["total_mg_c"].values)


DEMOS = os.path.join(os.path.dirname(__file__), "..", "..", "data-samples")


def test_seasonal_demo_monthly_series_as_results_h5(tmp_path):
    """models.nep: the month series [D, M] and the month dimension (yyyymm) of to_xarray agree
    with /nep of results.h5 read by xarray."""
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    r = carbonsink.run(os.path.join(DEMOS, "demo-seasonal.yaml"), output_dir=tmp_path / "o")
    D, M = len(r.districts), len(r.months)
    assert M == 12 and r.months[0] == "2020-01" and r.months[-1] == "2020-12"
    for name in ("npp_mg_c", "rh_mg_c", "nep_mg_c"):
        assert r.districts.monthly[name].shape == (D, M), name
    # NEP = NPP - R_H (science.md; sign convention of /nep).
    np.testing.assert_allclose(r.districts.monthly["nep_mg_c"],
                               r.districts.monthly["npp_mg_c"] - r.districts.monthly["rh_mg_c"],
                               rtol=1e-9, atol=1e-9)
    ds = r.to_xarray()
    assert ds["nep_mg_c"].dims == ("district", "month")
    assert ds["nep_mg_c"].attrs["units"] == "Mg C"
    with xr.open_dataset(os.path.join(r.output_dir, "results.h5"), engine="h5netcdf",
                         group="/nep") as nep:
        np.testing.assert_array_equal(nep["month"].values, ds["month"].values)
        for name in ("npp_mg_c", "rh_mg_c", "nep_mg_c"):
            assert nep[name].dims == ds[name].dims
            np.testing.assert_array_equal(nep[name].values, ds[name].values)
        assert ds.nep_mg_c.sel(month=202007).shape == (D,)


def test_uncertainty_demo_intervals_as_results_h5(tmp_path):
    """uncertainty: Intervals with the figure's shape, and <figure>_mean etc. in to_xarray equal
    to /uncertainty of results.h5 read by xarray."""
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    r = carbonsink.run(os.path.join(DEMOS, "demo-uncertainty.yaml"), output_dir=tmp_path / "o")
    d = r.districts
    D, E, P = len(d), len(r.years), len(r.pools)
    assert d.uncertainty_label.startswith("95 % interval")
    assert d.uncertainty["stock_mg_c"].mean.shape == (D, E, P)
    assert d.uncertainty["total_mg_c"].ci_low.shape == (D, E)
    assert d.uncertainty["stock_change_mg_c_per_yr"].sd.shape == (D, E - 1)
    iv = d.uncertainty["total_mg_c"]
    assert np.all(iv.ci_low <= iv.ci_high) and np.all(iv.sd >= 0)
    ds = r.to_xarray()
    assert ds["stocks_mg_c_mean"].dims == ("district", "epoch", "pool")
    assert ds["total_mg_c_ci_high"].attrs["units"] == "Mg C"
    h5 = os.path.join(r.output_dir, "results.h5")
    for group, name in (("/uncertainty/stocks/mg_c", "stocks_mg_c"),
                        ("/uncertainty/stocks/total_mg_c", "total_mg_c"),
                        ("/uncertainty/flux/stock_change_mg_c_per_yr",
                         "stock_change_mg_c_per_yr")):
        with xr.open_dataset(h5, engine="h5netcdf", group=group) as g:
            for part in ("mean", "sd", "ci_low", "ci_high"):
                assert g[part].dims == ds[f"{name}_{part}"].dims, (group, part)
                np.testing.assert_array_equal(g[part].values, ds[f"{name}_{part}"].values)


def test_to_xarray_without_xarray_says_what_to_install(scenario, monkeypatch):
    import builtins
    r = carbonsink.run(scenario / "run.yaml")
    real_import = builtins.__import__

    def no_xarray(name, *args, **kwargs):
        if name == "xarray" or name.startswith("xarray."):
            raise ImportError("No module named 'xarray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_xarray)
    with pytest.raises(ImportError, match=r"to_xarray needs xarray.*install python3-xarray"):
        r.to_xarray()


def test_validate_ok_and_problems_with_text(scenario):
    v = carbonsink.validate(scenario / "run.yaml")
    assert v == [] and v.ok
    assert isinstance(v.warnings, list)
    assert "epochs" in v.summary

    # Two file problems and a config problem, all listed together (as test_integration.cpp's
    # ValidateReportsConfigAndFileProblemsTogether asserts for the CLI).
    os.remove(scenario / "lc2010.tif")
    os.remove(scenario / "pools.csv")
    (scenario / "typo.yaml").write_text(
        CONFIG_YAML.replace("output_dir: out\n", "output_dir: out\nthreds: 2\n"))
    v = carbonsink.validate(str(scenario / "typo.yaml"))
    assert not v.ok
    assert v.errors == list(v)
    assert any(e.startswith('unknown config key "threds": typo.yaml, line 3') for e in v), v
    assert ("cannot read land_cover/2010: land_cover/2010 (lc2010.tif), typo.yaml, line 6: "
            "file not found") in v, v
    assert any(e.startswith("cannot read models.stocks.table: models.stocks.table (pools.csv), "
                            "typo.yaml, line ") for e in v), v
    assert not any("lc2020.tif" in e for e in v), v


def test_validate_dict(scenario):
    assert carbonsink.validate(config_dict(), base_dir=scenario) == []
    os.remove(scenario / "lc2010.tif")
    v = carbonsink.validate(config_dict(threds=2), base_dir=scenario)
    # The dict is written as YAML one key a line (yaml_text), so the messages give real lines:
    # 1 name, 2 output_dir, 3 land_cover, 4 epochs, 5 2010, 6 2020, 7-10 districts and its
    # three keys, 11 models, 12-14 stocks, 15-16 sink, 17 threds.
    text = carbonsink.yaml_text(config_dict(threds=2))
    assert text.splitlines()[4] == '    2010: "lc2010.tif"'
    assert text.splitlines()[16] == "threds: 2"
    assert any(e.startswith('unknown config key "threds": (config text), line 17') for e in v), v
    assert ("cannot read land_cover/2010: land_cover/2010 (lc2010.tif), (config text), line 5: "
            "file not found") in v, v


def test_yaml_text_round_trip():
    yaml = pytest.importorskip("yaml")
    cfg = {"name": 'x y: "q" \u6c88\u9633', "epochs": {2010: "a.tif"}, "f": 0.5, "b": True,
           "n": None, "l": [1, {"a": 2, "b": [3, [4, 5]]}, []], "e": {}, "s": "-1"}
    assert yaml.safe_load(carbonsink.yaml_text(cfg)) == cfg
    with pytest.raises(TypeError, match=r"the config dict holds a set \(\{1\}\)"):
        carbonsink.yaml_text({"a": {1}})


def test_bad_config_types_raise_type_error(scenario):
    with pytest.raises(TypeError, match="config must be a path .* or a dict"):
        carbonsink.validate(42)
    with pytest.raises(TypeError, match="base_dir applies to a dict config only"):
        carbonsink.run(scenario / "run.yaml", base_dir=scenario)
    with pytest.raises(TypeError, match="progress must be callable"):
        carbonsink.run(scenario / "run.yaml", progress=3)


def test_run_bad_config_raises_error_with_messages(scenario):
    os.remove(scenario / "lc2020.tif")
    with pytest.raises(carbonsink.Error) as info:
        carbonsink.run(scenario / "run.yaml")
    e = info.value
    assert isinstance(e, RuntimeError)
    assert e.kind == "invalid"
    assert e.exit_code == 2
    want = (f"cannot open raster: land_cover/2020 ({scenario / 'lc2020.tif'}, band 1): "
            "file not found (run.yaml, line 6)")
    assert want in e.messages, e.messages
    assert str(e) == "\n".join(e.messages)
    assert not (scenario / "out" / "results.h5").exists()


def test_progress_callback_on_calling_thread(scenario):
    events = []
    caller = threading.get_ident()

    def progress(e):
        assert threading.get_ident() == caller
        events.append(e)

    check_hand_worked(carbonsink.run(scenario / "run.yaml", progress=progress))
    assert events, "progress was never called"
    assert all(isinstance(e, carbonsink.ProgressEvent) for e in events)
    phases = [e.phase for e in events]
    assert "compute" in phases, phases
    assert any(e.total == 0 and e.detail for e in events), events  # a phase line
    for e in events:
        assert 0 <= e.done and (e.total == 0 or e.done <= e.total), e


def test_progress_exception_cancels_and_propagates(scenario):
    class Stop(Exception):
        pass

    def progress(e):
        raise Stop("from the callback")

    with pytest.raises(Stop, match="from the callback"):
        carbonsink.run(scenario / "run.yaml", progress=progress)
    assert not (scenario / "out" / "results.h5").exists()


# A larger scenario for the runs that must still be computing when something happens: 4096 x
# 2048 px in blocks of 65536 cells (128 blocks), one district "all" (id 7) covering the grid.
# 2010: columns 0-2047 cropland (63 Mg C/ha), the rest forest (205); 2020: all forest.
BIG_W, BIG_H = 4096, 2048


@pytest.fixture
def big(tmp_path):
    lc2010 = np.ones((BIG_H, BIG_W), dtype=np.uint8)
    lc2010[:, BIG_W // 2:] = 2
    write_raster(tmp_path / "lc2010.tif", lc2010)
    write_raster(tmp_path / "lc2020.tif", np.full((BIG_H, BIG_W), 2, dtype=np.uint8))
    (tmp_path / "pools.csv").write_text(POOLS)
    write_districts(tmp_path / "districts.gpkg", [(7, "all", 0, 0, BIG_W, BIG_H)])
    (tmp_path / "run.yaml").write_text(
        CONFIG_YAML + "processing:\n  block_cells: 65536\n")
    return tmp_path


def check_big(r):
    half_ha = BIG_W // 2 * BIG_H * PX_HA
    t = r.districts.total_mg_c
    assert t.shape == (1, 2)
    assert t[0, 0] == pytest.approx(half_ha * 63 + half_ha * 205, rel=1e-12)
    assert t[0, 1] == pytest.approx(2 * half_ha * 205, rel=1e-12)
    assert r.districts.stock_change_mg_c_per_yr[0, 0] == pytest.approx(
        half_ha * (205 - 63) / 10, rel=1e-12)


def test_gil_released_while_computing(big):
    """A Python thread keeps running while run() computes."""
    ticks = []
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    t = threading.Thread(target=counter)
    t.start()
    try:
        start = time.monotonic()
        r = carbonsink.run(big / "run.yaml", threads=1)
        end = time.monotonic()
    finally:
        stop.set()
        t.join()
    check_big(r)
    during = [x for x in ticks if start < x < end]
    # Holding the GIL for the run would leave no tick inside it; a free thread ticks about once
    # a millisecond.
    assert end - start > 0.05, "the run was too quick to show anything"
    assert len(during) >= 10, (len(during), end - start)


def test_sigint_cancels_keeps_checkpoint_then_resume(big):
    """Ctrl-C while computing: KeyboardInterrupt, nothing committed, the checkpoint kept, and
    resume=True finishes with the hand-worked totals."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Python runs signal handlers on the main thread only")
    pid = os.getpid()
    sent = []

    def progress(e):
        # At the start of the compute phase, SIGINT from another thread, as Ctrl-C arrives:
        # the run is cancelled by the module's wait loop (PyErr_CheckSignals), not here.
        if e.phase == "compute" and not sent:
            sent.append(True)
            threading.Thread(target=os.kill, args=(pid, signal.SIGINT)).start()

    with pytest.raises(KeyboardInterrupt):
        carbonsink.run(big / "run.yaml", threads=1, progress=progress)
    assert sent
    out = big / "out"
    assert not (out / "results.h5").exists()
    assert not (out / "districts.csv").exists()
    assert (out / ".carbonsink-checkpoint").exists()
    check_big(carbonsink.run(big / "run.yaml", threads=1, resume=True))
    assert (out / "results.h5").exists()
    assert not (out / ".carbonsink-checkpoint").exists()


def test_sigint_without_callback_is_seen_by_the_wait_loop(big):
    """No Python code runs during this run (no progress callback), so only the module's wait
    loop (PyErr_CheckSignals between slices) can notice Ctrl-C. SIGINT is sent once the first
    computed block is in the checkpoint log."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("Python runs signal handlers on the main thread only")
    out = big / "out"
    checkpoint = out / ".carbonsink-checkpoint"
    pid = os.getpid()
    sent = threading.Event()
    finished = threading.Event()

    def interrupter():
        while not finished.is_set():
            if checkpoint.exists() and checkpoint.stat().st_size > 0:
                os.kill(pid, signal.SIGINT)
                sent.set()
                return
            time.sleep(0.002)

    t = threading.Thread(target=interrupter)
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            carbonsink.run(big / "run.yaml", threads=1)
    finally:
        finished.set()
        t.join()
    assert sent.is_set()
    assert not (out / "results.h5").exists()
    assert checkpoint.exists()
    check_big(carbonsink.run(big / "run.yaml", threads=1, resume=True))
