// report.html (pipeline/report.hpp): the escaping, number format, colour ramps, axes and SVG
// pieces with hand-worked values, then the page of a hand-worked run: its figures, its escaped
// names, and its map images decoded with GDAL and checked pixel by pixel against the ramps.
#include "pipeline/report.hpp"
#include "test_support.hpp"

#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace cs::test;
using namespace cs::pipeline::report;
namespace fs = std::filesystem;

namespace {

/// The attribute `name` of every element `<tag ... class="cls"` in `svg`, as numbers. (Plain
/// string search: std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizer build.)
std::vector<double> attrs(const std::string &svg, const std::string &tag, const std::string &cls,
                          const std::string &name) {
    std::vector<double> out;
    const std::string start = "<" + tag + " class=\"" + cls + "\"";
    const std::string key = " " + name + "=\"";
    for (std::size_t p = svg.find(start); p != std::string::npos; p = svg.find(start, p + 1)) {
        const std::size_t end = svg.find('>', p);
        const std::string e = svg.substr(p, end == std::string::npos ? std::string::npos : end - p);
        const std::size_t a = e.find(key);
        if (a != std::string::npos) {
            const std::size_t v = a + key.size();
            const std::size_t q = e.find('"', v);
            const std::string num = e.substr(v, q - v);
            if (!num.empty() && num.find_first_not_of("-0123456789.") == std::string::npos) {
                out.push_back(std::stod(num));
            }
        }
    }
    return out;
}

/// True when `html` holds `<code>` + 64 lower-case hex digits + `</code>`.
bool has_sha256_code(const std::string &html) {
    for (std::size_t p = html.find("<code>"); p != std::string::npos;
         p = html.find("<code>", p + 1)) {
        const std::string body = html.substr(p + 6, 64);
        if (body.size() == 64 && body.find_first_not_of("0123456789abcdef") == std::string::npos &&
            html.compare(p + 70, 7, "</code>") == 0) {
            return true;
        }
    }
    return false;
}

std::size_t count(const std::string &s, const std::string &what) {
    std::size_t n = 0;
    for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) {
        ++n;
    }
    return n;
}

} // namespace

TEST(ReportText, EscapesEveryHtmlSpecialCharacterAndKeepsUtf8) {
    EXPECT_EQ(html_escape("<b>Tom & \"Jerry's\"</b>"),
              "&lt;b&gt;Tom &amp; &quot;Jerry&#39;s&quot;&lt;/b&gt;");
    EXPECT_EQ(html_escape("和平区"), "和平区");
    EXPECT_EQ(html_escape(""), "");
}

TEST(ReportText, Base64IsRfc4648) {
    // RFC 4648 section 10 test vectors.
    EXPECT_EQ(base64(""), "");
    EXPECT_EQ(base64("f"), "Zg==");
    EXPECT_EQ(base64("fo"), "Zm8=");
    EXPECT_EQ(base64("foo"), "Zm9v");
    EXPECT_EQ(base64("foob"), "Zm9vYg==");
    EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(ReportText, NumbersAreGroupedAndNeverNegativeZero) {
    EXPECT_EQ(format_number(1234567.891, 1), "1,234,567.9");
    EXPECT_EQ(format_number(-1234.6, 0), "-1,235");
    EXPECT_EQ(format_number(999.0, 0), "999");
    EXPECT_EQ(format_number(1000.0, 2), "1,000.00");
    EXPECT_EQ(format_number(-0.04, 1), "0.0");
    EXPECT_EQ(format_number(std::nan(""), 1), "n/a");
    EXPECT_EQ(format_number(INFINITY, 1), "n/a");
}

TEST(ReportColours, DivergingRampIsTheNeutralMidColourAtZero) {
    const ClassedRamp r = diverging_ramp(17.5);
    ASSERT_EQ(r.colours.size(), 7U);
    EXPECT_EQ(r.class_of(0.0), 3U);
    EXPECT_EQ(r.colour(0.0), r.colours[3]);
    EXPECT_EQ(hex(r.colour(0.0)), "#ffffbf"); // ColorBrewer RdYlGn 7, middle class
    // Class width 35 / 7 = 5: [-2.5, 2.5) is the middle class.
    EXPECT_EQ(r.class_of(-2.5), 3U);
    EXPECT_EQ(r.class_of(-2.51), 2U);
    EXPECT_EQ(r.class_of(2.5), 4U);
    EXPECT_EQ(r.class_of(-17.5), 0U);
    EXPECT_EQ(r.class_of(17.5), 6U);   // the top break belongs to the last class
    EXPECT_EQ(r.class_of(-100.0), 0U); // out of range: clamped
    EXPECT_EQ(r.class_of(100.0), 6U);
    EXPECT_EQ(hex(r.colour(-17.5)), "#d73027");
    EXPECT_EQ(hex(r.colour(17.5)), "#1a9850");
}

TEST(ReportColours, SequentialRampBreaksAreEqualClasses) {
    const ClassedRamp r = sequential_ramp(70.0);
    const std::vector<double> expected = {0, 10, 20, 30, 40, 50, 60, 70};
    const auto b = r.breaks();
    ASSERT_EQ(b.size(), expected.size());
    for (std::size_t k = 0; k < b.size(); ++k) {
        EXPECT_NEAR(b[k], expected[k], 1e-12) << k;
    }
    EXPECT_EQ(r.class_of(9.99), 0U);
    EXPECT_EQ(r.class_of(10.0), 1U);
    EXPECT_EQ(hex(r.colour(0.0)), "#ffffcc");
    EXPECT_EQ(hex(r.colour(70.0)), "#005a32");
    // No positive value: a [0, 1] ramp, not a division by zero.
    EXPECT_EQ(sequential_ramp(0.0).hi, 1.0);
    EXPECT_EQ(diverging_ramp(0.0).lo, -1.0);
}

TEST(ReportCharts, NiceAxisRoundsOutToOneTwoOrFiveSteps) {
    // 87 / 5 = 17.4 -> step 20 -> [0, 100].
    Axis a = nice_axis(0, 87);
    EXPECT_DOUBLE_EQ(a.lo, 0);
    EXPECT_DOUBLE_EQ(a.hi, 100);
    EXPECT_DOUBLE_EQ(a.step, 20);
    // 7197 / 5 = 1439.4 -> step 2000 -> [-2000, 6000].
    a = nice_axis(-2000, 5197);
    EXPECT_DOUBLE_EQ(a.lo, -2000);
    EXPECT_DOUBLE_EQ(a.hi, 6000);
    EXPECT_DOUBLE_EQ(a.step, 2000);
    // 1.1 / 5 = 0.22 -> step 0.25 -> [0, 1.25].
    a = nice_axis(0, 1.1);
    EXPECT_DOUBLE_EQ(a.step, 0.25);
    EXPECT_DOUBLE_EQ(a.hi, 1.25);
    // A value exactly on a step stays the end: [0, 100] -> step 20.
    a = nice_axis(0, 100);
    EXPECT_DOUBLE_EQ(a.hi, 100);
    // Empty ranges include 0.
    a = nice_axis(0, 0);
    EXPECT_DOUBLE_EQ(a.lo, 0);
    EXPECT_DOUBLE_EQ(a.hi, 1);
    a = nice_axis(-3, -3);
    EXPECT_LE(a.lo, -3);
    EXPECT_GE(a.hi, 0);
    EXPECT_DOUBLE_EQ(nice_axis(0, 87).position(43.5, 560), 43.5 / 100 * 560);
}

TEST(ReportCharts, BarLengthIsValueOverAxisRange) {
    const BarLayout L; // label 220, plot 560
    BarSeries s;
    s.label = "2020";
    s.values = {30, 87};
    const std::string svg = svg_bar_chart("t", {"a", "b"}, {s}, "Mg C", 25);
    // Axis [0, 100]: a bar of v is v / 100 x 560 long and starts at the label column.
    const auto w = attrs(svg, "rect", "bar", "width");
    const auto x = attrs(svg, "rect", "bar", "x");
    ASSERT_EQ(w.size(), 2U);
    EXPECT_NEAR(w[0], 30.0 / 100 * 560, 0.051);
    EXPECT_NEAR(w[1], 87.0 / 100 * 560, 0.051);
    EXPECT_NEAR(x[0], L.label_width, 0.051);
    EXPECT_NEAR(x[1], L.label_width, 0.051);
    // Ticks 0, 20, ..., 100.
    EXPECT_NE(svg.find(">100</text>"), std::string::npos);
    EXPECT_NE(svg.find(">Mg C</text>"), std::string::npos);
}

TEST(ReportCharts, NegativeBarsGrowLeftFromZeroWithErrorBars) {
    BarSeries s;
    s.label = "2010-2020";
    s.values = {50, -25};
    s.low = {40, -30};
    s.high = {55, -20};
    const std::string svg = svg_bar_chart("change", {"gain", "loss"}, {s}, "Mg C/yr", 25);
    // Range [-30, 55]: 85 / 5 = 17 -> step 20 -> axis [-40, 60], 100 wide; zero at
    // 220 + 40 / 100 x 560 = 444.
    const double zero = 220 + 0.4 * 560;
    const auto w = attrs(svg, "rect", "bar", "width");
    const auto x = attrs(svg, "rect", "bar", "x");
    ASSERT_EQ(w.size(), 2U);
    EXPECT_NEAR(x[0], zero, 0.051);
    EXPECT_NEAR(w[0], 50.0 / 100 * 560, 0.051);
    EXPECT_NEAR(x[1], zero - 25.0 / 100 * 560, 0.051);
    EXPECT_NEAR(w[1], 25.0 / 100 * 560, 0.051);
    const auto x1 = attrs(svg, "line", "err", "x1");
    const auto x2 = attrs(svg, "line", "err", "x2");
    ASSERT_EQ(x1.size(), 2U);
    EXPECT_NEAR(x1[0], 220 + (40.0 + 40) / 100 * 560, 0.051);
    EXPECT_NEAR(x2[0], 220 + (55.0 + 40) / 100 * 560, 0.051);
    EXPECT_NEAR(x1[1], 220 + (-30.0 + 40) / 100 * 560, 0.051);
    EXPECT_NEAR(x2[1], 220 + (-20.0 + 40) / 100 * 560, 0.051);
    const auto zx = attrs(svg, "line", "zero", "x1");
    ASSERT_EQ(zx.size(), 1U);
    EXPECT_NEAR(zx[0], zero, 0.051);
}

TEST(ReportCharts, ManyDistrictsShowTheLargestInTableOrderWithANote) {
    BarSeries s;
    s.label = "x";
    std::vector<std::string> names;
    for (int d = 0; d < 30; ++d) {
        names.push_back(std::string("d").append(std::to_string(d)));
        // Magnitudes: d * 10 with alternating signs; the five largest are d = 25..29.
        s.values.push_back((d % 2 == 0 ? 1 : -1) * d * 10.0);
    }
    const std::string svg = svg_bar_chart("t", names, {s}, "u", 5);
    EXPECT_EQ(count(svg, "class=\"bar\""), 5U);
    for (int d = 25; d < 30; ++d) {
        const std::string label = std::string(">d").append(std::to_string(d)).append("</text>");
        EXPECT_NE(svg.find(label), std::string::npos) << d;
    }
    EXPECT_EQ(svg.find(">d24</text>"), std::string::npos);
    EXPECT_LT(svg.find(">d25</text>"), svg.find(">d29</text>")); // table order
    EXPECT_NE(svg.find("The 5 districts of largest magnitude of 30 are drawn"), std::string::npos);
    // No note when all fit.
    EXPECT_EQ(svg_bar_chart("t", names, {s}, "u", 30).find("largest magnitude"), std::string::npos);
}

TEST(ReportCharts, NamesInChartsAreEscaped) {
    BarSeries s;
    s.label = "<2020>";
    s.values = {1};
    const std::string svg = svg_bar_chart("A & B", {"<script>x</script>"}, {s}, "Mg C", 5);
    EXPECT_EQ(svg.find("<script>"), std::string::npos);
    EXPECT_NE(svg.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(svg.find("A &amp; B"), std::string::npos);
    EXPECT_NE(svg.find("&lt;2020&gt;"), std::string::npos);
}

TEST(ReportCharts, LineChartPointsFollowTheAxis) {
    // Plot 640 x 220 at (80, 40); axis [0, 10] step 2: y(10) = 40, y(0) = 260.
    const std::string svg =
        svg_line_chart("NEP", {"2020-01", "2020-02"}, {{"NEP", {0, 0, 0}, {0, 10}}}, "Mg C");
    EXPECT_NE(svg.find("d=\"M80.0 260.0 L720.0 40.0\""), std::string::npos) << svg;
    // A missing value lifts the pen.
    const std::string gap =
        svg_line_chart("NEP", {"a", "b", "c"}, {{"NEP", {0, 0, 0}, {0, std::nan(""), 10}}}, "u");
    EXPECT_NE(gap.find("d=\"M80.0 260.0 M720.0 40.0\""), std::string::npos) << gap;
}

TEST(ReportCharts, LegendShowsEveryBreakAndTheUnit) {
    const std::string svg = svg_legend(sequential_ramp(70.0), "Mg C/ha", 0);
    EXPECT_EQ(count(svg, "<rect "), 7U);
    for (const char *b : {">0<", ">10<", ">20<", ">30<", ">40<", ">50<", ">60<", ">70<"}) {
        EXPECT_NE(svg.find(b), std::string::npos) << b;
    }
    EXPECT_NE(svg.find(">Mg C/ha<"), std::string::npos);
}

TEST(ReportMaps, OutlineIsInImagePixels) {
    // Grid origin (1000, 2000), 30 m pixels, image at half size: (1300, 1700) is pixel (10, 10)
    // of the grid, (5, 5) of the image.
    OGRPolygon poly;
    OGRLinearRing ring;
    ring.addPoint(1000, 2000);
    ring.addPoint(1300, 2000);
    ring.addPoint(1300, 1700);
    ring.addPoint(1301, 1700); // (5.017, 5): < 0.5 px from (5, 5), dropped
    ring.addPoint(1290, 1700); // (4.833, 5): dropped
    ring.addPoint(1150, 1700); // (2.5, 5): kept
    ring.addPoint(1000, 1700);
    ring.addPoint(1000, 2000);
    poly.addRing(&ring);
    const std::array<double, 6> gt = {1000, 30, 0, 2000, 0, -30};
    EXPECT_EQ(svg_outline(poly, gt, 0.5, 0.5),
              "M0.0 0.0 L5.0 0.0 L5.0 5.0 L2.5 5.0 L0.0 5.0 L0.0 0.0 Z");
    OGRMultiPolygon multi;
    multi.addGeometry(&poly);
    multi.addGeometry(&poly);
    EXPECT_EQ(svg_outline(multi, gt, 0.5, 0.5),
              "M0.0 0.0 L5.0 0.0 L5.0 5.0 L2.5 5.0 L0.0 5.0 L0.0 0.0 Z M0.0 0.0 L5.0 0.0 L5.0 "
              "5.0 L2.5 5.0 L0.0 5.0 L0.0 0.0 Z");
    OGRPoint pt(1000, 2000);
    EXPECT_EQ(svg_outline(pt, gt, 1, 1), "");
}

// ---- The page of a run -------------------------------------------------------------------------

namespace {

// Pools (Mg C/ha): cropland 63, forest 205, settlement 30.
const char *POOLS = TWO_EPOCH_CITY_POOLS;

const char *HEPING = "和平区"; // Heping District (Shenyang)
const char *ODD = "<b>Tom & \"Jerry's\"</b>";

/// 40 x 30 px of 30 m (0.09 ha) in EPSG:6933 (equal area). 2010: columns 0-19 cropland, 20-39
/// forest. 2020: rows 0-9 of columns 0-19 forest; rows 20-29 of columns 30-39 settlement.
/// District 11 (和平区) = columns 0-19; 22 (the odd name) = columns 20-39.
struct Scenario {
    TempDir dir;
    RasterSpec spec;
    Scenario() {
        spec = write_two_epoch_city(dir, false);
        write_text(dir.file("pools.csv"), POOLS);
        write_polygons(dir.file("districts.geojson"), 6933,
                       {pixel_rectangle(spec, 11, HEPING, 0, 0, 20, 30),
                        pixel_rectangle(spec, 22, ODD, 20, 0, 40, 30)});
    }
    std::string config(const std::string &extra = "") const {
        const std::string path = dir.file("run.yaml");
        write_text(path, "name: <report> & test\n"
                         "output_dir: out\n"
                         "land_cover:\n"
                         "  epochs:\n"
                         "    2010: lc2010.tif\n"
                         "    2020: lc2020.tif\n"
                         "districts:\n"
                         "  path: districts.geojson\n"
                         "  id_field: code\n"
                         "  name_field: name\n"
                         "models:\n"
                         "  stocks:\n"
                         "    method: lookup\n"
                         "    table: pools.csv\n"
                         "  sink:\n"
                         "    method: stock_difference\n" +
                             extra);
        return path;
    }
};

/// The bytes of every data:image/png;base64 URI of `html`, decoded by GDAL's own base64 decoder
/// (independent of the report's encoder).
std::vector<std::string> inline_pngs(const std::string &html) {
    std::vector<std::string> out;
    const std::string key = "data:image/png;base64,";
    for (std::size_t p = html.find(key); p != std::string::npos; p = html.find(key, p + 1)) {
        const std::size_t b = p + key.size();
        std::string s = html.substr(b, html.find('"', b) - b);
        const int n = CPLBase64DecodeInPlace(reinterpret_cast<GByte *>(s.data()));
        out.push_back(s.substr(0, static_cast<std::size_t>(n)));
    }
    return out;
}

struct Rgba {
    int r, g, b, a;
};

/// Open PNG bytes with GDAL and return its size and the RGBA of every pixel.
std::vector<Rgba> decode_png(const std::string &png, int &w, int &h) {
    GDALAllRegister();
    const std::string vsi = "/vsimem/test_report.png";
    VSILFILE *f = VSIFileFromMemBuffer(
        vsi.c_str(), reinterpret_cast<GByte *>(const_cast<char *>(png.data())), png.size(), FALSE);
    VSIFCloseL(f);
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open(vsi.c_str(), GDAL_OF_RASTER));
    std::vector<Rgba> px;
    if (ds && ds->GetRasterCount() == 4) {
        w = ds->GetRasterXSize();
        h = ds->GetRasterYSize();
        std::vector<uint8_t> band(static_cast<std::size_t>(w) * h);
        px.assign(band.size(), {0, 0, 0, 0});
        for (int k = 0; k < 4; ++k) {
            EXPECT_EQ(ds->GetRasterBand(k + 1)->RasterIO(GF_Read, 0, 0, w, h, band.data(), w, h,
                                                         GDT_Byte, 0, 0, nullptr),
                      CE_None);
            for (std::size_t i = 0; i < band.size(); ++i) {
                (k == 0 ? px[i].r : k == 1 ? px[i].g : k == 2 ? px[i].b : px[i].a) = band[i];
            }
        }
    }
    ds.reset();
    VSIUnlink(vsi.c_str());
    return px;
}

void expect_colour(const Rgba &p, const char *hex_colour, const std::string &where) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", p.r, p.g, p.b);
    EXPECT_EQ(std::string(buf), hex_colour) << where;
    EXPECT_EQ(p.a, 255) << where;
}

} // namespace

TEST(ReportPage, FiguresNamesAndMapsOfAHandWorkedRun) {
    Scenario s;
    const auto res = run_carbonsink("run " + s.config() + " --quiet --threads 2",
                                    "SOURCE_DATE_EPOCH=1700000000");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    const std::string html = read_text(s.dir.file("out/report.html"));
    EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0U);
    EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
    EXPECT_EQ(html.find("<script"), std::string::npos);                       // no JavaScript
    EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg")); // no network
    EXPECT_EQ(html.find("https://"), std::string::npos);
    // The run name and the district names escaped everywhere; the Chinese name intact.
    EXPECT_NE(html.find("<h1>&lt;report&gt; &amp; test</h1>"), std::string::npos);
    EXPECT_EQ(html.find(ODD), std::string::npos);
    EXPECT_NE(html.find("&lt;b&gt;Tom &amp; &quot;Jerry&#39;s&quot;&lt;/b&gt;"), std::string::npos);
    EXPECT_NE(html.find(std::string("<td>") + HEPING + "</td>"), std::string::npos);
    // The grid, and SOURCE_DATE_EPOCH 1700000000 = 2023-11-14 22:13:20 UTC.
    EXPECT_NE(html.find("40 × 30 pixels, EPSG:6933, pixel 30.0 × 30.0"), std::string::npos);
    EXPECT_NE(html.find("2023-11-14 22:13 UTC"), std::string::npos);
    // District 11: 600 px x 0.09 ha = 54 ha of cropland (63 Mg C/ha) in 2010 = 3,402.0 Mg C;
    // in 2020 18 ha turn forest (205): 18 x 205 + 36 x 63 = 5,958.0; change 255.6 Mg C/yr.
    // District 22: 54 ha forest = 11,070.0; in 2020 9 ha settlement (30):
    // 45 x 205 + 9 x 30 = 9,495.0; change -157.5.
    EXPECT_NE(html.find("<td class=\"n\">54.0</td><td class=\"n\">3,402.0</td><td "
                        "class=\"n\">5,958.0</td><td class=\"n\">255.6</td>"),
              std::string::npos);
    EXPECT_NE(html.find("<td class=\"n\">54.0</td><td class=\"n\">11,070.0</td><td "
                        "class=\"n\">9,495.0</td><td class=\"n\">-157.5</td>"),
              std::string::npos);
    // Summary: 14,472 and 15,453 Mg C; 98.1 -> "98" Mg C/yr, a sink.
    EXPECT_NE(html.find("14,472 Mg C"), std::string::npos);
    EXPECT_NE(html.find("15,453 Mg C"), std::string::npos);
    EXPECT_NE(html.find(">98 Mg C/yr (sink;"), std::string::npos);
    // Transitions: 18 ha cropland -> forest, 9 ha forest -> settlement; 81 ha unchanged.
    EXPECT_NE(html.find("<td>1 cropland</td><td>2 forest</td><td class=\"n\">18.0</td>"),
              std::string::npos);
    EXPECT_NE(html.find("<td>2 forest</td><td>3 settlement</td><td class=\"n\">9.0</td>"),
              std::string::npos);
    EXPECT_NE(html.find("Unchanged: 81.0 ha"), std::string::npos);
    // Both district outlines, defined once and drawn over each of the three maps.
    EXPECT_EQ(count(html, "<path class=\"outline\""), 2U);
    EXPECT_EQ(count(html, "<use href=\"#district-outlines\"/>"), 3U);
    // District 11 (columns 0-19, the whole height) in image pixels = grid pixels.
    EXPECT_NE(html.find("d=\"M0.0 0.0 L20.0 0.0 L20.0 30.0 L0.0 30.0 L0.0 0.0 Z\""),
              std::string::npos);
    // Provenance: every input with its SHA-256 (64 hex digits), and the config.
    EXPECT_NE(html.find("pools.csv"), std::string::npos);
    EXPECT_TRUE(has_sha256_code(html));
    EXPECT_NE(html.find("method: stock_difference"), std::string::npos);

    // Maps: stock 2010, stock 2020, change 2010-2020, each 40 x 30 (the grid is < 800 px).
    const auto pngs = inline_pngs(html);
    ASSERT_EQ(pngs.size(), 3U);
    // Stock ramp [0, 205] (the largest stock), 7 classes of 29.29: 63 -> class 2 (#addd8e), 205
    // -> class 6 (#005a32), 30 -> class 1 (#d9f0a3).
    int w = 0, h = 0;
    auto px = decode_png(pngs[0], w, h);
    ASSERT_EQ(w, 40);
    ASSERT_EQ(h, 30);
    expect_colour(px[0], "#addd8e", "stock 2010, cropland");
    expect_colour(px[39], "#005a32", "stock 2010, forest");
    px = decode_png(pngs[1], w, h);
    ASSERT_EQ(px.size(), 1200U);
    expect_colour(px[0], "#005a32", "stock 2020, new forest");
    expect_colour(px[29 * 40 + 39], "#d9f0a3", "stock 2020, settlement");
    expect_colour(px[29 * 40 + 0], "#addd8e", "stock 2020, cropland");
    // Change ramp [-17.5, 17.5] Mg C/ha/yr: (205 - 63) / 10 = 14.2 -> class 6 (#1a9850);
    // (30 - 205) / 10 = -17.5 -> class 0 (#d73027); 0 -> the middle class (#ffffbf).
    px = decode_png(pngs[2], w, h);
    ASSERT_EQ(px.size(), 1200U);
    expect_colour(px[0], "#1a9850", "change, cropland -> forest");
    expect_colour(px[29 * 40 + 39], "#d73027", "change, forest -> settlement");
    expect_colour(px[29 * 40 + 0], "#ffffbf", "change, unchanged");
    // Legends with the units of the rasters and the breaks.
    EXPECT_NE(html.find(">205<"), std::string::npos);
    EXPECT_NE(html.find(">17.5<"), std::string::npos);
    EXPECT_NE(html.find(">-17.5<"), std::string::npos);
}

TEST(ReportPage, SameBytesForAnyThreadCount) {
    Scenario s;
    const std::string cfg = s.config();
    auto res =
        run_carbonsink("run " + cfg + " --quiet --threads 1 --output-dir " + s.dir.file("one"),
                       "SOURCE_DATE_EPOCH=1700000000");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    res = run_carbonsink("run " + cfg + " --quiet --threads 2 --output-dir " + s.dir.file("two"),
                         "SOURCE_DATE_EPOCH=1700000000");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    const std::string one = read_text(s.dir.file("one/report.html"));
    EXPECT_FALSE(one.empty());
    EXPECT_EQ(one, read_text(s.dir.file("two/report.html")));
}

TEST(ReportPage, WithoutRastersSaysSoAndHasNoMap) {
    Scenario s;
    const auto res = run_carbonsink("run " + s.config("outputs:\n  rasters: false\n") + " --quiet");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    const std::string html = read_text(s.dir.file("out/report.html"));
    EXPECT_NE(html.find("No maps: this run wrote no rasters (<code>outputs.rasters: "
                        "false</code>)"),
              std::string::npos);
    EXPECT_EQ(html.find("data:image/png"), std::string::npos);
    EXPECT_NE(html.find("class=\"bar\""), std::string::npos); // the charts are still there
}

TEST(ReportPage, ConfigTurnsItOffAndRejectsNonBooleans) {
    Scenario s;
    auto res = run_carbonsink("run " + s.config("outputs:\n  report: false\n") + " --quiet");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    EXPECT_FALSE(fs::exists(s.dir.file("out/report.html")));
    EXPECT_TRUE(fs::exists(s.dir.file("out/districts.csv")));
    // Config lines: 1-16 as Scenario::config, 17 outputs, 18 report.
    res = run_carbonsink("validate " + s.config("outputs:\n  report: maybe\n"));
    EXPECT_EQ(res.exit_code, 2);
    EXPECT_NE(res.err.find("invalid config value outputs.report: run.yaml, line 18: expected "
                           "true or false"),
              std::string::npos)
        << res.err;
}

TEST(ReportPage, MapsAreAtMost800PixelsOnTheLongerSide) {
    // A 1000 x 20 px strip and a 20 x 1000 px column: 800 x 16 and 16 x 800 images (scale 0.8).
    for (const auto &[width, height] : {std::pair{1000, 20}, std::pair{20, 1000}}) {
        SCOPED_TRACE(std::to_string(width) + " x " + std::to_string(height));
        TempDir dir;
        RasterSpec spec;
        spec.width = width;
        spec.height = height;
        spec.epsg = 6933;
        std::vector<double> lc(static_cast<std::size_t>(width) * height, 1.0);
        lc[0] = 2; // two stocks, so that the image has two colours
        write_raster(dir.file("lc2010.tif"), spec, lc);
        write_raster(dir.file("lc2020.tif"), spec, lc);
        write_text(dir.file("pools.csv"), POOLS);
        write_text(dir.file("run.yaml"), "name: strip\noutput_dir: out\nland_cover:\n  epochs:\n"
                                         "    2010: lc2010.tif\n    2020: lc2020.tif\n"
                                         "models:\n  stocks:\n    method: lookup\n"
                                         "    table: pools.csv\n");
        const auto res = run_carbonsink("run " + dir.file("run.yaml") + " --quiet");
        ASSERT_EQ(res.exit_code, 0) << res.err;
        const std::string html = read_text(dir.file("out/report.html"));
        const auto pngs = inline_pngs(html);
        ASSERT_EQ(pngs.size(), 3U);
        int w = 0, h = 0;
        const auto px = decode_png(pngs[0], w, h);
        EXPECT_EQ(w, width * 4 / 5);
        EXPECT_EQ(h, height * 4 / 5);
        EXPECT_NE(html.find("read by GDAL at " + std::to_string(width * 4 / 5) + " × " +
                            std::to_string(height * 4 / 5) + " pixels (from its overviews"),
                  std::string::npos);
        EXPECT_NE(html.find("District outlines are drawn for polygon districts only."),
                  std::string::npos); // the whole grid: no outlines
    }
}
