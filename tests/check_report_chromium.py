#!/usr/bin/python3
"""report.html in a real browser (issue 12 item 5): headless Chromium renders the report of two
runs of the demo city to PNG screenshots and dumps their DOM.

usage: check_report_chromium.py CARBONSINK SOURCE_ROOT WORK_DIR

Runs:
  uncertainty: demo-uncertainty.yaml (polygons, Monte Carlo intervals) with Chinese district names
               and the English ones as districts.name_field_en (one name holds < & " to be
               escaped);
  seasonal:    demo-seasonal.yaml (models.nep: monthly NPP, R_H and NEP curves).
Checks, for each: chromium exits 0; the screenshot exists and is not one colour; Chromium's log
(--enable-logging=stderr --v=0, with --vmodule=file_url_loader_factory=1 so that every file the
page loads is logged as "FileURLLoader::Start: <url>") shows no file loaded but the report itself
(the page is self-contained: nothing to fail) and no console message (the page has no script, so
any console line is Chromium reporting an error); the page names no http(s) resource; every
inline map image decodes with GDAL (/vsimem/) and has several distinct colours; --dump-dom holds
every district name, the Chinese ones intact. The checker itself is first run on a page with a
missing image and a console error, and must find both (so that the log checks can fail).
Exits 77 (skip) without chromium or GDAL's Python bindings.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys

try:
    from osgeo import gdal
except ImportError:
    print("skip: no GDAL Python bindings (python3-gdal)")
    sys.exit(77)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    print("skip: chromium is not installed (scripts/install_deps.sh --with-test-tools)")
    sys.exit(77)

exe, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
gdal.UseExceptions()
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def chromium(args, tag):
    """Run headless Chromium with a fresh profile; returns (exit code, stdout, stderr)."""
    profile = os.path.join(work, "profile-" + tag)
    shutil.rmtree(profile, ignore_errors=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
           "--vmodule=file_url_loader_factory=1"] + args
    p = subprocess.run(cmd, capture_output=True, timeout=180)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def log_problems(log, page_url):
    """The log lines that show a resource load other than the page, or a console message."""
    bad = []
    for line in log.splitlines():
        m = re.search(r"FileURLLoader::Start: (\S+)", line)
        if m and m.group(1) != page_url:
            bad.append("loads a file besides the page: " + m.group(1))
        if ":CONSOLE" in line:
            bad.append("console message: " + line.strip())
    return bad


def screenshot(html_path, png, tag):
    url = "file://" + html_path
    rc, _, err = chromium(["--screenshot=" + png, "--window-size=1280,4000", url], tag)
    return rc, err, url


def distinct_colours(ds):
    """Distinct RGBA values of a 3- or 4-band dataset (RGB taken as opaque)."""
    bands = [ds.GetRasterBand(k + 1).ReadRaster() for k in range(ds.RasterCount)]
    n = ds.RasterXSize * ds.RasterYSize
    if len(bands) == 3:
        bands.append(b"\xff" * n)
    return set(zip(*bands))


os.makedirs(work, exist_ok=True)

# ---- The checker finds a missing resource and a console error ---------------------------------
bad_html = os.path.join(work, "bad.html")
with open(bad_html, "w", encoding="utf-8") as f:
    f.write('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>x</p>'
            '<img src="missing.png"><script>console.error("a console error")</script>'
            "</body></html>\n")
rc, err, url = screenshot(bad_html, os.path.join(work, "bad.png"), "bad")
found = log_problems(err, url)
if not any("missing.png" in b for b in found) or not any("a console error" in b for b in found):
    fail("the log check does not see a missing image and a console error in Chromium's log "
         "(flags changed?): found " + json.dumps(found))

# ---- Runs ------------------------------------------------------------------------------------
data = os.path.join(work, "data")
shutil.rmtree(data, ignore_errors=True)
shutil.copytree(os.path.join(root, "data-samples"), data)
names_cn = {101: "老城区", 102: "河畔区", 103: "北山区", 104: "西部农区",
            105: "生态工业园 <A&B> \"south\""}
with open(os.path.join(data, "districts.geojson"), encoding="utf-8") as f:
    gj = json.load(f)
names_en = {}
for feat in gj["features"]:
    code = feat["properties"]["code"]
    names_en[code] = feat["properties"]["name"]
    feat["properties"]["name_en"] = names_en[code]
    feat["properties"]["name"] = names_cn[code]
with open(os.path.join(data, "districts_cn.geojson"), "w", encoding="utf-8") as f:
    json.dump(gj, f, ensure_ascii=False)
with open(os.path.join(data, "demo-uncertainty.yaml"), encoding="utf-8") as f:
    cfg = f.read()
cfg = cfg.replace("  path: districts.geojson\n", "  path: districts_cn.geojson\n")
cfg = cfg.replace("  name_field: name\n", "  name_field: name\n  name_field_en: name_en\n")
with open(os.path.join(data, "report-cn.yaml"), "w", encoding="utf-8") as f:
    f.write(cfg)

runs = {"uncertainty": "report-cn.yaml", "seasonal": "demo-seasonal.yaml"}
for tag, config in runs.items():
    out = os.path.join(work, tag + "-out")
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([exe, "run", os.path.join(data, config), "--quiet", "--output-dir", out],
                       capture_output=True)
    if p.returncode != 0:
        fail("%s: carbonsink run failed (exit %d): %s" % (tag, p.returncode,
                                                        p.stderr.decode("utf-8", "replace")))
        continue
    html_path = os.path.join(out, "report.html")
    with open(html_path, encoding="utf-8") as f:
        html = f.read()
    # Self-contained: no http(s) resource (the SVG namespace is a name, not a load).
    ext = [u for u in re.findall(r'(?:src|href)="([^"]*)"', html)
           if not u.startswith("data:") and not u.startswith("#")]
    if ext:
        fail("%s: the report refers to outside resources: %s" % (tag, ext[:5]))

    png = os.path.join(work, tag + ".png")
    if os.path.exists(png):
        os.remove(png)
    rc, err, url = screenshot(html_path, png, tag)
    if rc != 0:
        fail("%s: chromium exited %d: %s" % (tag, rc, err[-2000:]))
    for b in log_problems(err, url):
        fail("%s: %s" % (tag, b))
    if not os.path.exists(png):
        fail("%s: chromium wrote no screenshot %s" % (tag, png))
    else:
        ds = gdal.Open(png)
        colours = distinct_colours(ds)
        if len(colours) < 10:
            fail("%s: the screenshot has %d colours (a blank page?)" % (tag, len(colours)))
        print("%s: screenshot %d x %d, %d colours" % (tag, ds.RasterXSize, ds.RasterYSize,
                                                      len(colours)))
        ds = None

    # Every inline map decodes and is not blank.
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    if len(images) != 3:  # stock 2015, stock 2020, change 2015-2020
        fail("%s: %d inline map images, expected 3" % (tag, len(images)))
    for i, b64 in enumerate(images):
        vsi = "/vsimem/report_map_%s_%d.png" % (tag, i)
        gdal.FileFromMemBuffer(vsi, base64.b64decode(b64, validate=True))
        ds = gdal.Open(vsi)
        colours = distinct_colours(ds)
        opaque = {c for c in colours if c[3] == 255}
        alpha = ds.GetRasterBand(4).ComputeRasterMinMax(False)
        if len(opaque) < 3 or alpha[1] != 255:
            fail("%s: map image %d is blank (%d opaque colours)" % (tag, i, len(opaque)))
        print("%s: map %d: %d x %d px, %d colours" % (tag, i, ds.RasterXSize, ds.RasterYSize,
                                                      len(opaque)))
        ds = None
        gdal.Unlink(vsi)

    # The DOM as Chromium parsed it holds every district name.
    rc, dom, err = chromium(["--dump-dom", url], tag + "-dom")
    if rc != 0:
        fail("%s: chromium --dump-dom exited %d" % (tag, rc))
    expected = (list(names_cn.values()) + list(names_en.values()) if tag == "uncertainty"
                else list(names_en.values()))
    for name in expected:
        # The DOM is serialized: text escapes & < > (not quotes).
        ser = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if ser not in dom:
            fail("%s: the rendered page lacks the district name %r" % (tag, name))
    if tag == "seasonal" and "Monthly NPP" not in dom:
        fail("seasonal: no monthly NPP / R_H / NEP chart")
    if tag == "uncertainty" and 'class="err"' not in dom:
        fail("uncertainty: no error bars in the charts")
    # The same run's district tables as pandas reads them: Chinese names, the English second
    # names and the name with < & " intact, figures and intervals as numbers
    # (tests/check_pandas.py; 77 = pandas or openpyxl not installed).
    pd_check = subprocess.run(["/usr/bin/python3", os.path.join(root, "tests", "check_pandas.py"),
                               out], capture_output=True, text=True)
    if pd_check.returncode not in (0, 77):
        fail("%s: pandas reads the district tables wrongly:\n%s" % (tag, pd_check.stdout))

if failures:
    print("%d problem(s)" % len(failures))
    sys.exit(1)
print("report.html renders in Chromium without errors; maps and names checked")
