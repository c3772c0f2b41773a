// report.html (see report.hpp).
#include "pipeline/report.hpp"

#include "models/nep_stage.hpp"
#include "models/uncertainty.hpp"
#include "pipeline/output_text.hpp"
#include "pipeline/problems.hpp"
#include "pipeline/version.hpp"
#include "raster/grid.hpp"
#include "raster/vector_districts.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>

namespace fs = std::filesystem;

namespace cs::pipeline::report {

std::string html_escape(const std::string &s) { return markup_escape(s); }

std::string base64(const std::string &bytes) {
    static const char *const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                           (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                           static_cast<uint8_t>(bytes[i + 2]);
        out += A[(v >> 18) & 63];
        out += A[(v >> 12) & 63];
        out += A[(v >> 6) & 63];
        out += A[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
        out += A[(v >> 18) & 63];
        out += A[(v >> 12) & 63];
        out += "==";
    } else if (rest == 2) {
        const uint32_t v =
            (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
        out += A[(v >> 18) & 63];
        out += A[(v >> 12) & 63];
        out += A[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string format_number(double v, int decimals) {
    if (!std::isfinite(v)) {
        return "n/a";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v));
    std::string digits(buf);
    const std::size_t dot = digits.find('.');
    std::string int_part = digits.substr(0, dot);
    const std::string frac = dot == std::string::npos ? "" : digits.substr(dot);
    std::string grouped;
    for (std::size_t k = 0; k < int_part.size(); ++k) {
        if (k > 0 && (int_part.size() - k) % 3 == 0) {
            grouped += ',';
        }
        grouped += int_part[k];
    }
    // "-0.0" after rounding is "0.0": the sign only when a non-zero digit is printed.
    const bool zero = digits.find_first_of("123456789") == std::string::npos;
    return (v < 0 && !zero ? "-" : "") + grouped + frac;
}

std::string hex(Rgb c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
    return buf;
}

std::size_t ClassedRamp::class_of(double v) const {
    const auto n = static_cast<double>(colours.size());
    const double k = std::floor((v - lo) / (hi - lo) * n);
    if (!(k > 0)) {
        return 0;
    }
    return k >= n ? colours.size() - 1 : static_cast<std::size_t>(k);
}

std::vector<double> ClassedRamp::breaks() const {
    std::vector<double> b;
    const std::size_t n = colours.size();
    for (std::size_t k = 0; k <= n; ++k) {
        b.push_back(lo + (hi - lo) * static_cast<double>(k) / static_cast<double>(n));
    }
    return b;
}

ClassedRamp sequential_ramp(double max) {
    // ColorBrewer YlGn, 7 classes (Cynthia A. Brewer, colorbrewer2.org).
    ClassedRamp r;
    r.lo = 0.0;
    r.hi = max > 0 ? max : 1.0;
    r.colours = {{255, 255, 204}, {217, 240, 163}, {173, 221, 142}, {120, 198, 121},
                 {65, 171, 93},   {35, 132, 67},   {0, 90, 50}};
    return r;
}

ClassedRamp diverging_ramp(double max_abs) {
    // ColorBrewer RdYlGn, 7 classes (Cynthia A. Brewer, colorbrewer2.org); an odd count, so the
    // middle class straddles 0 and takes the neutral colour.
    ClassedRamp r;
    const double m = max_abs > 0 ? max_abs : 1.0;
    r.lo = -m;
    r.hi = m;
    r.colours = {{215, 48, 39},   {252, 141, 89}, {254, 224, 139}, {255, 255, 191},
                 {217, 239, 139}, {145, 207, 96}, {26, 152, 80}};
    return r;
}

Axis nice_axis(double lo, double hi) {
    if (!std::isfinite(lo) || !std::isfinite(hi)) {
        return {};
    }
    if (lo > hi) {
        std::swap(lo, hi);
    }
    if (hi - lo <= 0) {
        if (lo == 0) {
            return {0.0, 1.0, 0.2};
        }
        lo = std::min(lo, 0.0);
        hi = std::max(hi, 0.0);
    }
    const double raw = (hi - lo) / 5.0;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / mag;
    const double f = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
    const double step = f * mag;
    // A value a rounding error above a multiple stays on it (87.00000000001 -> 100, not 120).
    Axis a;
    a.step = step;
    a.lo = std::floor(lo / step + 1e-9) * step;
    a.hi = std::ceil(hi / step - 1e-9) * step;
    if (a.hi <= a.lo) {
        a.hi = a.lo + step;
    }
    return a;
}

namespace {

/// Decimals that print every tick of `step` exactly (0.25 -> 2, 20 -> 0).
int step_decimals(double step) {
    for (int d = 0; d < 6; ++d) {
        const double scaled = step * std::pow(10.0, d);
        if (std::fabs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) {
            return d;
        }
    }
    return 6;
}

/// SVG coordinates with one decimal (byte-stable: the same doubles always print the same).
std::string c1(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", std::fabs(v) < 0.05 ? 0.0 : v);
    return buf;
}

/// The x-axis ticks and labels of `a` drawn over [x0, x0 + w] at height y (grid lines up to
/// y_top).
std::string axis_ticks(const Axis &a, double x0, double w, double y_top, double y) {
    std::ostringstream s;
    const int dec = step_decimals(a.step);
    const int n = static_cast<int>(std::lround((a.hi - a.lo) / a.step));
    for (int k = 0; k <= n; ++k) {
        const double v = a.lo + a.step * k;
        const double x = x0 + a.position(v, w);
        s << "<line class=\"grid\" x1=\"" << c1(x) << "\" y1=\"" << c1(y_top) << "\" x2=\"" << c1(x)
          << "\" y2=\"" << c1(y) << "\"/>\n";
        s << "<text class=\"tick\" x=\"" << c1(x) << "\" y=\"" << c1(y + 14)
          << "\" text-anchor=\"middle\">" << format_number(v, dec) << "</text>\n";
    }
    return s.str();
}

/// The opening <svg> of a chart of `width` x `height`, its title, and the legend of its series
/// (a swatch and the label of each) on the title's second line.
template <class Series>
void chart_head(std::ostringstream &s, const std::string &title, double width, double height,
                const std::vector<Series> &series) {
    s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 " << c1(width)
      << " " << c1(height) << "\" width=\"" << c1(width) << "\" height=\"" << c1(height)
      << "\" role=\"img\" aria-label=\"" << html_escape(title) << "\">\n";
    s << "<text class=\"title\" x=\"0\" y=\"16\">" << html_escape(title) << "</text>\n";
    double lx = 0;
    for (const auto &se : series) {
        s << "<rect x=\"" << c1(lx) << "\" y=\"24\" width=\"10\" height=\"10\" fill=\""
          << hex(se.colour) << "\"/><text class=\"tick\" x=\"" << c1(lx + 14) << "\" y=\"33\">"
          << html_escape(se.label) << "</text>\n";
        lx += 24 + 7.0 * static_cast<double>(se.label.size());
    }
}

} // namespace

std::string svg_bar_chart(const std::string &title, const std::vector<std::string> &names,
                          const std::vector<BarSeries> &series, const std::string &unit,
                          std::size_t top_n, const BarLayout &L) {
    const std::size_t D = names.size();
    // The districts drawn: all, or the top_n of largest magnitude, kept in table order.
    std::vector<std::size_t> shown(D);
    for (std::size_t d = 0; d < D; ++d) {
        shown[d] = d;
    }
    auto magnitude = [&](std::size_t d) {
        double m = 0;
        for (const auto &s : series) {
            if (std::isfinite(s.values[d])) {
                m = std::max(m, std::fabs(s.values[d]));
            }
        }
        return m;
    };
    if (D > top_n) {
        std::stable_sort(shown.begin(), shown.end(),
                         [&](std::size_t a, std::size_t b) { return magnitude(a) > magnitude(b); });
        shown.resize(top_n);
        std::sort(shown.begin(), shown.end());
    }
    double lo = 0, hi = 0;
    for (const auto &s : series) {
        for (const std::size_t d : shown) {
            for (const double v :
                 {s.values[d], s.low.empty() ? 0.0 : s.low[d], s.high.empty() ? 0.0 : s.high[d]}) {
                if (std::isfinite(v)) {
                    lo = std::min(lo, v);
                    hi = std::max(hi, v);
                }
            }
        }
    }
    const Axis a = nice_axis(lo, hi);
    const double row = L.bar_height * static_cast<double>(series.size()) + L.gap;
    const double plot_h = row * static_cast<double>(shown.size());
    const double width = L.label_width + L.plot_width + 50; // room for the last tick label
    const double height = L.top + plot_h + L.bottom;
    const double x0 = L.label_width;
    const double zero = x0 + a.position(std::clamp(0.0, a.lo, a.hi), L.plot_width);
    std::ostringstream s;
    chart_head(s, title, width, height, series);
    s << axis_ticks(a, x0, L.plot_width, L.top, L.top + plot_h);
    for (std::size_t i = 0; i < shown.size(); ++i) {
        const std::size_t d = shown[i];
        const double y = L.top + row * static_cast<double>(i) + L.gap / 2;
        s << "<text class=\"name\" x=\"" << c1(x0 - 6) << "\" y=\""
          << c1(y + row / 2 - L.gap / 2 + 4) << "\" text-anchor=\"end\">" << html_escape(names[d])
          << "</text>\n";
        for (std::size_t k = 0; k < series.size(); ++k) {
            const BarSeries &se = series[k];
            const double v = se.values[d];
            const double by = y + L.bar_height * static_cast<double>(k);
            if (!std::isfinite(v)) {
                continue;
            }
            const double xv = x0 + a.position(v, L.plot_width);
            s << "<rect class=\"bar\" x=\"" << c1(std::min(zero, xv)) << "\" y=\"" << c1(by)
              << "\" width=\"" << c1(std::fabs(xv - zero)) << "\" height=\"" << c1(L.bar_height - 2)
              << "\" fill=\"" << hex(se.colour) << "\"><title>" << html_escape(names[d]) << ", "
              << html_escape(se.label) << ": " << format_number(v, 1) << " " << html_escape(unit)
              << "</title></rect>\n";
            if (!se.low.empty() && std::isfinite(se.low[d]) && std::isfinite(se.high[d])) {
                const double xl = x0 + a.position(se.low[d], L.plot_width);
                const double xh = x0 + a.position(se.high[d], L.plot_width);
                const double cy = by + (L.bar_height - 2) / 2;
                s << "<line class=\"err\" x1=\"" << c1(xl) << "\" y1=\"" << c1(cy) << "\" x2=\""
                  << c1(xh) << "\" y2=\"" << c1(cy) << "\"/>\n";
            }
        }
    }
    s << "<line class=\"zero\" x1=\"" << c1(zero) << "\" y1=\"" << c1(L.top) << "\" x2=\""
      << c1(zero) << "\" y2=\"" << c1(L.top + plot_h) << "\"/>\n";
    s << "<text class=\"tick\" x=\"" << c1(x0 + L.plot_width / 2) << "\" y=\""
      << c1(L.top + plot_h + 30) << "\" text-anchor=\"middle\">" << html_escape(unit)
      << "</text>\n";
    s << "</svg>\n";
    if (D > shown.size()) {
        s << "<p class=\"note\">The " << shown.size() << " districts of largest magnitude of " << D
          << " are drawn; every district is in the tables below.</p>\n";
    }
    return s.str();
}

std::string svg_line_chart(const std::string &title, const std::vector<std::string> &x_labels,
                           const std::vector<LineSeries> &series, const std::string &unit) {
    const double left = 80, plot_w = 640, top = 40, plot_h = 220, bottom = 40;
    double lo = 0, hi = 0;
    for (const auto &se : series) {
        for (const double v : se.values) {
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    const Axis a = nice_axis(lo, hi);
    const std::size_t n = x_labels.size();
    auto x_of = [&](std::size_t i) {
        return left +
               (n > 1 ? plot_w * static_cast<double>(i) / static_cast<double>(n - 1) : plot_w / 2);
    };
    auto y_of = [&](double v) { return top + plot_h - a.position(v, plot_h); };
    std::ostringstream s;
    chart_head(s, title, left + plot_w + 20, top + plot_h + bottom, series);
    const int dec = step_decimals(a.step);
    const int ticks = static_cast<int>(std::lround((a.hi - a.lo) / a.step));
    for (int k = 0; k <= ticks; ++k) {
        const double v = a.lo + a.step * k;
        s << "<line class=\"grid\" x1=\"" << c1(left) << "\" y1=\"" << c1(y_of(v)) << "\" x2=\""
          << c1(left + plot_w) << "\" y2=\"" << c1(y_of(v)) << "\"/><text class=\"tick\" x=\""
          << c1(left - 6) << "\" y=\"" << c1(y_of(v) + 4) << "\" text-anchor=\"end\">"
          << format_number(v, dec) << "</text>\n";
    }
    // At most ~12 x labels, evenly spaced.
    const std::size_t every = std::max<std::size_t>(1, (n + 11) / 12);
    for (std::size_t i = 0; i < n; i += every) {
        s << "<text class=\"tick\" x=\"" << c1(x_of(i)) << "\" y=\"" << c1(top + plot_h + 16)
          << "\" text-anchor=\"middle\">" << html_escape(x_labels[i]) << "</text>\n";
    }
    s << "<line class=\"zero\" x1=\"" << c1(left) << "\" y1=\"" << c1(y_of(0)) << "\" x2=\""
      << c1(left + plot_w) << "\" y2=\"" << c1(y_of(0)) << "\"/>\n";
    for (const auto &se : series) {
        std::string d;
        bool pen = false;
        for (std::size_t i = 0; i < se.values.size() && i < n; ++i) {
            if (!std::isfinite(se.values[i])) {
                pen = false;
                continue;
            }
            d += (pen ? " L" : (d.empty() ? "M" : " M")) + c1(x_of(i)) + " " +
                 c1(y_of(se.values[i]));
            pen = true;
        }
        s << "<path class=\"line\" d=\"" << d << "\" stroke=\"" << hex(se.colour) << "\"/>\n";
    }
    s << "<text class=\"tick\" x=\"0\" y=\"" << c1(top + plot_h + 34) << "\">" << html_escape(unit)
      << "</text>\n";
    s << "</svg>\n";
    return s.str();
}

std::string svg_legend(const ClassedRamp &ramp, const std::string &unit, int decimals) {
    const double sw = 64, x0 = 24; // x0: room for half of the first break label, e.g. -19.7
    const std::size_t n = ramp.colours.size();
    std::ostringstream s;
    s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"legend\" viewBox=\"0 0 "
      << c1(x0 * 2 + sw * static_cast<double>(n) + 20) << " 52\" width=\""
      << c1(x0 * 2 + sw * static_cast<double>(n) + 20) << "\" height=\"52\">\n";
    for (std::size_t k = 0; k < n; ++k) {
        s << "<rect x=\"" << c1(x0 + sw * static_cast<double>(k)) << "\" y=\"4\" width=\"" << c1(sw)
          << "\" height=\"14\" fill=\"" << hex(ramp.colours[k]) << "\"/>\n";
    }
    const auto b = ramp.breaks();
    for (std::size_t k = 0; k < b.size(); ++k) {
        s << "<text class=\"tick\" x=\"" << c1(x0 + sw * static_cast<double>(k))
          << "\" y=\"32\" text-anchor=\"middle\">" << format_number(b[k], decimals) << "</text>\n";
    }
    s << "<text class=\"tick\" x=\"" << c1(x0) << "\" y=\"48\">" << html_escape(unit)
      << "</text>\n</svg>\n";
    return s.str();
}

namespace {

void ring_path(const OGRSimpleCurve &ring, const std::array<double, 6> &gt, double sx, double sy,
               std::string &out) {
    // A vertex less than half an image pixel from the last one kept (in x and y) draws nothing
    // visible: dropped, so that a detailed boundary costs about its length in pixels, not its
    // vertex count (the last vertex is always kept, closing the ring).
    std::string prev;
    double px = 0, py = 0;
    bool first = true;
    const int n = ring.getNumPoints();
    for (int i = 0; i < n; ++i) {
        const double x = (ring.getX(i) - gt[0]) / gt[1] * sx;
        const double y = (ring.getY(i) - gt[3]) / gt[5] * sy;
        if (!first && i + 1 < n && std::fabs(x - px) < 0.5 && std::fabs(y - py) < 0.5) {
            continue;
        }
        const std::string p = c1(x) + " " + c1(y);
        if (p == prev) {
            continue;
        }
        out += (first ? (out.empty() ? "M" : " M") : " L") + p;
        first = false;
        prev = p;
        px = x;
        py = y;
    }
    if (!first) {
        out += " Z";
    }
}

} // namespace

std::string svg_outline(const OGRGeometry &g, const std::array<double, 6> &gt, double sx,
                        double sy) {
    std::string out;
    const OGRwkbGeometryType t = wkbFlatten(g.getGeometryType());
    if (t == wkbPolygon) {
        for (const auto *ring : *g.toPolygon()) {
            ring_path(*ring, gt, sx, sy, out);
        }
    } else if (t == wkbMultiPolygon || t == wkbGeometryCollection) {
        for (const auto *part : *g.toGeometryCollection()) {
            const std::string p = svg_outline(*part, gt, sx, sy);
            if (!p.empty()) {
                out += (out.empty() ? "" : " ") + p;
            }
        }
    }
    return out;
}

namespace {

struct Closer {
    void operator()(GDALDataset *ds) const { GDALClose(ds); }
};
using Dataset = std::unique_ptr<GDALDataset, Closer>;

/// Longest side of a map image: GDAL reads the file at this size (from its overviews when it has
/// them).
constexpr double MAP_MAX_SIZE = 800.0;

/// One GeoTIFF output read at a reduced size.
struct MapData {
    std::string file;    ///< file name in the output folder
    std::string caption; ///< "Stock 2015"
    bool change = false;
    int w = 0, h = 0;
    std::vector<float> values; ///< w x h, NaN where the file has no data
    std::string unit;
    std::string error; ///< why it could not be read ("" when read)
};

void read_map(const std::string &path, MapData &m, int w, int h) {
    CPLErrorReset();
    Dataset ds(static_cast<GDALDataset *>(GDALOpen(path.c_str(), GA_ReadOnly)));
    if (!ds) {
        const char *e = CPLGetLastErrorMsg();
        m.error = "cannot open " + path + ": " + (e != nullptr && *e ? e : "GDAL gave no reason");
        return;
    }
    GDALRasterBand *b = ds->GetRasterBand(1);
    int has_nodata = 0;
    const double nodata = b->GetNoDataValue(&has_nodata);
    m.unit = b->GetUnitType() != nullptr ? b->GetUnitType() : "";
    m.w = w;
    m.h = h;
    m.values.assign(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), 0.0F);
    // A buffer smaller than the raster: GDAL reads the best overview level, nearest neighbour
    // (deterministic whatever the thread count).
    if (b->RasterIO(GF_Read, 0, 0, ds->GetRasterXSize(), ds->GetRasterYSize(), m.values.data(), w,
                    h, GDT_Float32, 0, 0, nullptr) != CE_None) {
        const char *e = CPLGetLastErrorMsg();
        m.error = "cannot read " + path + ": " + (e != nullptr && *e ? e : "GDAL gave no reason");
        m.values.clear();
        return;
    }
    for (float &v : m.values) {
        if (has_nodata &&
            (v == static_cast<float>(nodata) || (std::isnan(v) && std::isnan(nodata)))) {
            v = std::numeric_limits<float>::quiet_NaN();
        }
    }
}

/// The PNG (bytes) of `m` coloured by `ramp`, no data transparent: a MEM dataset copied by
/// GDAL's PNG driver into /vsimem/.
std::string encode_png(const MapData &m, const ClassedRamp &ramp, const std::string &name) {
    GDALDriver *mem = GetGDALDriverManager()->GetDriverByName("MEM");
    GDALDriver *png = GetGDALDriverManager()->GetDriverByName("PNG");
    if (mem == nullptr || png == nullptr) {
        throw OutputError("cannot write output: report.html: GDAL has no " +
                          std::string(mem == nullptr ? "MEM" : "PNG") +
                          " driver; install a full GDAL, or set outputs.report to false");
    }
    const std::size_t n = m.values.size();
    std::vector<std::vector<uint8_t>> bands(4, std::vector<uint8_t>(n, 0));
    for (std::size_t i = 0; i < n; ++i) {
        const float v = m.values[i];
        if (std::isnan(v)) {
            continue; // transparent
        }
        const Rgb c = ramp.colour(v);
        bands[0][i] = c.r;
        bands[1][i] = c.g;
        bands[2][i] = c.b;
        bands[3][i] = 255;
    }
    Dataset ds(mem->Create("", m.w, m.h, 4, GDT_Byte, nullptr));
    if (!ds) {
        throw OutputError("cannot write output: report.html: cannot create an image of " +
                          std::to_string(m.w) + " x " + std::to_string(m.h) + " px in memory");
    }
    for (int k = 0; k < 4; ++k) {
        GDALRasterBand *b = ds->GetRasterBand(k + 1);
        b->SetColorInterpretation(k == 3 ? GCI_AlphaBand
                                         : static_cast<GDALColorInterp>(GCI_RedBand + k));
        if (b->RasterIO(GF_Write, 0, 0, m.w, m.h, bands[k].data(), m.w, m.h, GDT_Byte, 0, 0,
                        nullptr) != CE_None) {
            throw OutputError("cannot write output: report.html: " +
                              std::string(CPLGetLastErrorMsg()));
        }
    }
    const std::string vsi = "/vsimem/carbonsink_report_" + name + ".png";
    {
        Dataset out(png->CreateCopy(vsi.c_str(), ds.get(), FALSE, nullptr, nullptr, nullptr));
        if (!out) {
            VSIUnlink(vsi.c_str());
            throw OutputError("cannot write output: report.html: the PNG of " + m.file +
                              " failed: " + std::string(CPLGetLastErrorMsg()));
        }
    }
    vsi_l_offset len = 0;
    GByte *buf = VSIGetMemFileBuffer(vsi.c_str(), &len, FALSE);
    std::string bytes(reinterpret_cast<const char *>(buf), static_cast<std::size_t>(len));
    VSIUnlink(vsi.c_str());
    VSIUnlink((vsi + ".aux.xml").c_str());
    return bytes;
}

/// Decimals for legend breaks of a ramp over `span`.
int legend_decimals(double span) { return span >= 100 ? 0 : span >= 10 ? 1 : 2; }

/// Colours of the epochs / periods in charts (ColorBrewer "Dark2", 8 qualitative classes).
Rgb series_colour(std::size_t k) {
    static const Rgb C[8] = {{27, 158, 119}, {217, 95, 2},  {117, 112, 179}, {231, 41, 138},
                             {102, 166, 30}, {230, 171, 2}, {166, 118, 29},  {102, 102, 102}};
    return C[k % 8];
}

const char *const STYLE =
    R"(body{font-family:"Noto Sans","Noto Sans CJK SC","Noto Sans CJK JP",sans-serif;margin:24px auto;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:2em}
table{border-collapse:collapse;font-size:0.85em;margin:8px 0}th,td{border:1px solid #ccc;padding:2px 6px}
th{background:#f2f2f2;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.warn{background:#fff4e5;border:1px solid #f0a030;padding:8px 12px;margin:12px 0}.ok{background:#eef7ee;border:1px solid #8c8;padding:8px 12px}
.maps{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-weight:bold;margin-bottom:4px}
svg.map{max-width:100%;height:auto;border:1px solid #ddd;background:#fafafa}svg.map image{image-rendering:pixelated}
svg.chart{max-width:100%;height:auto}svg.legend{display:block}.title{font-weight:bold;font-size:14px}.tick{font-size:11px;fill:#333}.name{font-size:11px}
.grid{stroke:#e4e4e4}.zero{stroke:#444}.err{stroke:#111;stroke-width:1.5}.line{fill:none;stroke-width:2}.outline{fill:none;stroke:#222;stroke-width:1;vector-effect:non-scaling-stroke}
.note{color:#555;font-size:0.9em}pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:0.8em;white-space:pre-wrap}code{font-size:0.9em})";

std::string period_label(int y0, int y1) {
    return std::to_string(y0) + "\u2013" + std::to_string(y1);
}

/// "1,234.5 [1,100.0 \u2013 1,300.2]" when intervals are given.
std::string with_interval(double v, const FigureIntervals *fi, std::size_t i, int dec) {
    std::string s = format_number(v, dec);
    if (fi != nullptr && i < fi->ci_low.size() && i < fi->ci_high.size()) {
        // An en dash between the bounds: the numbers themselves hold commas.
        s += " <span class=\"note\">[" + format_number(fi->ci_low[i], dec) + " \u2013 " +
             format_number(fi->ci_high[i], dec) + "]</span>";
    }
    return s;
}

void district_table(std::ostringstream &h, const DistrictResults &r) {
    const std::size_t E = r.years.size();
    const std::size_t K = E > 0 ? E - 1 : 0;
    const UncertaintyResults *u = r.uncertainty.get();
    h << "<table>\n<tr><th>id</th><th>name</th>";
    if (!r.names_en.empty()) {
        h << "<th>second name</th>";
    }
    h << "<th>area (ha)</th>";
    for (std::size_t e = 0; e < E; ++e) {
        h << "<th>stock " << r.years[e] << " (Mg C)</th>";
    }
    for (std::size_t k = 0; k < K; ++k) {
        h << "<th>change " << period_label(r.years[k], r.years[k + 1])
          << " (Mg C/yr, &gt; 0 = sink)</th>";
    }
    h << "</tr>\n";
    for (std::size_t d = 0; d < r.ids.size(); ++d) {
        h << "<tr><td class=\"n\">" << r.ids[d] << "</td><td>" << html_escape(r.names[d])
          << "</td>";
        if (!r.names_en.empty()) {
            h << "<td>" << html_escape(r.names_en[d]) << "</td>";
        }
        h << "<td class=\"n\">" << format_number(r.area_ha[d], 1) << "</td>";
        for (std::size_t e = 0; e < E; ++e) {
            h << "<td class=\"n\">"
              << with_interval(r.total_mg_c[d * E + e], u ? &u->total_mg_c : nullptr, d * E + e, 1)
              << "</td>";
        }
        for (std::size_t k = 0; k < K; ++k) {
            h << "<td class=\"n\">"
              << with_interval(r.stock_change_mg_c_per_yr[d * K + k],
                               u ? &u->stock_change_mg_c_per_yr : nullptr, d * K + k, 1)
              << "</td>";
        }
        h << "</tr>\n";
    }
    h << "</table>\n";
}

} // namespace

void write_report(const PreparedRun &run, const RunResult &result,
                  const std::vector<DistrictResults> &levels, const std::string &staging_dir) {
    const DistrictResults &r = levels.front();
    const Config &cfg = run.config;
    const std::size_t D = r.ids.size();
    const std::size_t E = r.years.size();
    const std::size_t K = E > 0 ? E - 1 : 0;
    const raster::GridSpec &grid = run.grid;
    std::vector<std::string> warnings = run.warnings;
    warnings.insert(warnings.end(), result.warnings.begin(), result.warnings.end());

    std::ostringstream h;
    h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>" << html_escape(cfg.name) << " \u2013 carbon stocks and sinks</title>\n"
      << "<style>\n"
      << STYLE << "\n</style>\n</head>\n<body>\n";

    // ---- 1. What was computed -------------------------------------------------------------
    h << "<h1>" << html_escape(cfg.name) << "</h1>\n";
    h << "<p>Carbon stocks of the land (" << html_escape(run.stock_model->name()) << ", pools: ";
    for (std::size_t p = 0; p < r.pools.size(); ++p) {
        h << (p ? ", " : "") << html_escape(r.pools[p]);
    }
    h << ") per pixel of the land-cover map, summed by " << html_escape(r.level) << " (" << D
      << " units";
    for (std::size_t l = 1; l < levels.size(); ++l) {
        h << ", " << levels[l].ids.size() << " of level " << html_escape(levels[l].level);
    }
    h << "), and the change between epochs. Made by carbonsink " << html_escape(SOFTWARE_VERSION)
      << " on " << stamp_utc("%Y-%m-%d %H:%M UTC") << ".</p>\n";
    const double px_w = grid.pixel_width(), px_h = std::fabs(grid.pixel_height());
    h << "<table>\n<tr><th>grid</th><td>" << grid.width << " \u00d7 " << grid.height << " pixels, "
      << html_escape(raster::crs_short_name(grid.crs_wkt)) << ", pixel "
      << format_number(px_w, px_w < 1 ? 6 : 1) << " \u00d7 "
      << format_number(px_h, px_h < 1 ? 6 : 1) << " (CRS units)</td></tr>\n<tr><th>epochs</th><td>";
    for (std::size_t e = 0; e < E; ++e) {
        h << (e ? ", " : "") << r.years[e];
    }
    h << "</td></tr>\n";
    h << "<tr><th>sign</th><td>stock change &gt; 0 = uptake (sink); net emissions = \u221244/12 "
         "\u00d7 stock change</td></tr>\n</table>\n";
    h << "<h2>Summary</h2>\n<table>\n<tr><th>figure</th><th>sum over the " << D << " "
      << html_escape(r.level) << " units</th></tr>\n";
    for (std::size_t e = 0; e < E; ++e) {
        double t = 0;
        for (std::size_t d = 0; d < D; ++d) {
            t += r.total_mg_c[d * E + e];
        }
        h << "<tr><td>carbon stock " << r.years[e] << "</td><td class=\"n\">" << format_number(t, 0)
          << " Mg C</td></tr>\n";
    }
    for (std::size_t k = 0; k < K; ++k) {
        double t = 0, co2 = 0;
        for (std::size_t d = 0; d < D; ++d) {
            t += r.stock_change_mg_c_per_yr[d * K + k];
            co2 += r.net_emissions_mg_co2_per_yr[d * K + k];
        }
        h << "<tr><td>stock change " << period_label(r.years[k], r.years[k + 1])
          << "</td><td class=\"n\">" << format_number(t, 0) << " Mg C/yr ("
          << (t >= 0 ? "sink" : "source") << "; net emissions " << format_number(co2, 0)
          << " Mg CO\u2082/yr)</td></tr>\n";
    }
    const bool nep = cfg.nep.present && r.series.count(models::NEP_SERIES_NEP) > 0;
    std::vector<std::string> month_labels;
    std::vector<double> npp_m, rh_m, nep_m; // summed over the districts, per month
    if (nep) {
        const auto &months = cfg.nep.months;
        const std::size_t M = months.size();
        npp_m.assign(M, 0.0);
        rh_m.assign(M, 0.0);
        nep_m.assign(M, 0.0);
        const auto &sn = r.series.at(models::NEP_SERIES_NPP);
        const auto &sr = r.series.at(models::NEP_SERIES_RH);
        const auto &se = r.series.at(models::NEP_SERIES_NEP);
        std::map<int, double> annual;
        for (std::size_t m = 0; m < M; ++m) {
            for (std::size_t d = 0; d < D; ++d) {
                npp_m[m] += sn[d * M + m];
                rh_m[m] += sr[d * M + m];
                nep_m[m] += se[d * M + m];
            }
            annual[months[m].year] += nep_m[m];
            char lab[16];
            std::snprintf(lab, sizeof lab, "%04d-%02d", months[m].year, months[m].month);
            month_labels.emplace_back(lab);
        }
        for (const auto &[y, v] : annual) {
            h << "<tr><td>net ecosystem production (NEP) " << y << "</td><td class=\"n\">"
              << format_number(v, 0) << " Mg C (the months of the run in " << y << ")</td></tr>\n";
        }
    }
    h << "</table>\n";
    if (warnings.empty() && result.unverified_used.empty()) {
        h << "<div class=\"ok\">No warning; every parameter the run used is verified.</div>\n";
    } else {
        h << "<div class=\"warn\"><b>" << warnings.size() << " warning"
          << (warnings.size() == 1 ? "" : "s") << ", " << result.unverified_used.size()
          << " unverified parameter" << (result.unverified_used.size() == 1 ? "" : "s")
          << " used</b> (all listed under <a href=\"#warnings\">Warnings</a>)<ul>\n";
        // The first few of each list; section "Warnings" has them all.
        std::vector<std::string> box;
        for (std::size_t i = 0; i < warnings.size() && i < 5; ++i) {
            box.push_back(warnings[i]);
        }
        if (warnings.size() > 5) {
            box.push_back("\u2026 and " + std::to_string(warnings.size() - 5) + " more warnings");
        }
        for (std::size_t i = 0; i < result.unverified_used.size() && i < 5; ++i) {
            box.push_back("[U] " + result.unverified_used[i]);
        }
        if (result.unverified_used.size() > 5) {
            box.push_back("\u2026 and " + std::to_string(result.unverified_used.size() - 5) +
                          " more unverified parameters");
        }
        for (const auto &b : box) {
            h << "<li>" << html_escape(b) << "</li>\n";
        }
        h << "</ul></div>\n";
    }

    // ---- 2. Maps ----------------------------------------------------------------------------
    h << "<h2>Maps</h2>\n";
    if (!cfg.write_rasters) {
        h << "<p>No maps: this run wrote no rasters (<code>outputs.rasters: false</code>). Set it "
             "to true to see the stock and change maps here.</p>\n";
    } else {
        // At most MAP_MAX_SIZE on the longer side (a tall, narrow grid too), never enlarged.
        const double scale =
            std::min(1.0, MAP_MAX_SIZE / static_cast<double>(std::max(grid.width, grid.height)));
        const int w = static_cast<int>(
            std::max<int64_t>(1, std::llround(static_cast<double>(grid.width) * scale)));
        const int hh = static_cast<int>(
            std::max<int64_t>(1, std::llround(static_cast<double>(grid.height) * scale)));
        std::vector<MapData> maps;
        for (std::size_t e = 0; e < E; ++e) {
            MapData m;
            m.file = "stock_" + std::to_string(r.years[e]) + ".tif";
            m.caption = "Carbon stock " + std::to_string(r.years[e]);
            maps.push_back(m);
        }
        for (std::size_t k = 0; k < K; ++k) {
            MapData m;
            m.file = "stock_change_" + std::to_string(r.years[k]) + "_" +
                     std::to_string(r.years[k + 1]) + ".tif";
            m.caption = "Stock change " + period_label(r.years[k], r.years[k + 1]) +
                        " (green = sink, red = loss)";
            m.change = true;
            maps.push_back(m);
        }
        double max_stock = 0, max_change = 0;
        for (auto &m : maps) {
            read_map((fs::path(staging_dir) / m.file).string(), m, w, hh);
            for (const float v : m.values) {
                if (std::isfinite(v)) {
                    double &mx = m.change ? max_change : max_stock;
                    mx = std::max(mx, m.change ? std::fabs(static_cast<double>(v))
                                               : static_cast<double>(v));
                }
            }
        }
        // One scale for all epochs and one for all periods, so that maps compare.
        const ClassedRamp stock_ramp = sequential_ramp(max_stock);
        const ClassedRamp change_ramp = diverging_ramp(max_change);
        // District outlines in the pixel space of the images.
        std::string outlines;
        if (run.district_vectors) {
            const double sx = static_cast<double>(w) / static_cast<double>(grid.width);
            const double sy = static_cast<double>(hh) / static_cast<double>(grid.height);
            for (std::size_t i = 0; i < run.district_vectors->districts().size(); ++i) {
                if (const OGRGeometry *g = run.district_vectors->geometry(i)) {
                    const std::string p = svg_outline(*g, grid.geotransform, sx, sy);
                    if (!p.empty()) {
                        outlines += "<path class=\"outline\" d=\"" + p + "\"/>\n";
                    }
                }
            }
        }
        h << "<p class=\"note\">Each map is the GeoTIFF output read by GDAL at " << w << " \u00d7 "
          << hh << " pixels" << (w < grid.width ? " (from its overviews where it has them)" : "")
          << "; white is no data. "
          << (run.district_vectors ? "Lines: the district outlines."
                                   : "District outlines are drawn for polygon districts only.")
          << "</p>\n<div class=\"maps\">\n";
        for (std::size_t i = 0; i < maps.size(); ++i) {
            const MapData &m = maps[i];
            h << "<figure>\n<figcaption>" << html_escape(m.caption) << "</figcaption>\n";
            if (!m.error.empty()) {
                h << "<p class=\"warn\">" << html_escape(m.error) << "</p>\n</figure>\n";
                continue;
            }
            const ClassedRamp &ramp = m.change ? change_ramp : stock_ramp;
            const std::string png = encode_png(m, ramp, std::to_string(i));
            h << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"map\" viewBox=\"0 0 " << m.w
              << " " << m.h << "\" width=\"520\">\n"
              << "<image width=\"" << m.w << "\" height=\"" << m.h
              << "\" href=\"data:image/png;base64," << base64(png)
              << "\"/>\n"
              // The outlines once, in the first map; the others refer to them.
              << (outlines.empty() ? ""
                  : i == 0 ? "<defs><g id=\"district-outlines\">\n" + outlines + "</g></defs>\n"
                           : "")
              << (outlines.empty() ? "" : "<use href=\"#district-outlines\"/>\n") << "</svg>\n";
            const std::string unit =
                m.unit.empty() ? (m.change ? "Mg C/ha/yr" : "Mg C/ha") : m.unit;
            h << svg_legend(ramp, unit, legend_decimals(ramp.hi - ramp.lo)) << "</figure>\n";
        }
        h << "</div>\n";
    }

    // ---- 3. Charts ----------------------------------------------------------------------------
    h << "<h2>Charts</h2>\n";
    constexpr std::size_t TOP_N = 25;
    // Intervals only when the run computed them for every figure drawn.
    const UncertaintyResults *u = r.uncertainty.get();
    // One series per column of a [D x n] figure, with its intervals when the run computed them
    // for every unit and column.
    const auto bar_series = [&](std::size_t n, const std::vector<double> &values,
                                const FigureIntervals *ci, std::size_t colour_base,
                                const auto &label_of) {
        const bool with_ci =
            ci != nullptr && ci->ci_low.size() == D * n && ci->ci_high.size() == D * n;
        std::vector<BarSeries> ss;
        for (std::size_t c = 0; c < n; ++c) {
            BarSeries s;
            s.label = label_of(c);
            s.colour = series_colour(c + colour_base);
            for (std::size_t d = 0; d < D; ++d) {
                s.values.push_back(values[d * n + c]);
                if (with_ci) {
                    s.low.push_back(ci->ci_low[d * n + c]);
                    s.high.push_back(ci->ci_high[d * n + c]);
                }
            }
            ss.push_back(std::move(s));
        }
        return ss;
    };
    h << svg_bar_chart("Carbon stock per " + r.level + " and epoch", r.names,
                       bar_series(E, r.total_mg_c, u != nullptr ? &u->total_mg_c : nullptr, 0,
                                  [&](std::size_t e) { return std::to_string(r.years[e]); }),
                       "Mg C", TOP_N);
    if (K > 0) {
        h << svg_bar_chart(
            "Stock change per " + r.level + " (> 0 = sink)", r.names,
            bar_series(K, r.stock_change_mg_c_per_yr,
                       u != nullptr ? &u->stock_change_mg_c_per_yr : nullptr, E,
                       [&](std::size_t k) { return period_label(r.years[k], r.years[k + 1]); }),
            "Mg C/yr", TOP_N);
    }
    if (u != nullptr) {
        h << "<p class=\"note\">Black lines: the " << html_escape(u->label) << ".</p>\n";
    }
    if (nep) {
        h << svg_line_chart("Monthly NPP, heterotrophic respiration (R_H) and NEP, sum over the "
                            "districts",
                            month_labels,
                            {{"NPP", {26, 152, 80}, npp_m},
                             {"R_H", {217, 95, 2}, rh_m},
                             {"NEP (> 0 = sink)", {33, 102, 172}, nep_m}},
                            "Mg C per month");
    }

    // ---- 4. Tables ----------------------------------------------------------------------------
    h << "<h2>Districts</h2>\n";
    if (u != nullptr) {
        h << "<p class=\"note\">In brackets: the " << html_escape(u->label) << ".</p>\n";
    }
    for (const auto &lv : levels) {
        h << "<h3>Level: " << html_escape(lv.level) << " (" << lv.ids.size() << ")</h3>\n";
        district_table(h, lv);
    }
    if (!r.class_codes.empty() && K > 0) {
        std::map<int32_t, std::string> class_name;
        const auto &codes = run.stock_model->class_codes();
        const auto names = run.stock_model->class_names();
        for (std::size_t i = 0; i < codes.size() && i < names.size(); ++i) {
            class_name[codes[i]] = names[i];
        }
        auto cname = [&](int32_t c) {
            const auto it = class_name.find(c);
            return std::to_string(c) +
                   (it != class_name.end() && !it->second.empty() ? " " + it->second : "");
        };
        const std::size_t C = r.class_codes.size();
        h << "<h2>Land-cover transitions</h2>\n<p class=\"note\">Area that changed class, summed "
             "over the districts, largest first (at most 20 per period; every cell is in "
             "transitions.csv).</p>\n";
        for (std::size_t k = 0; k < K; ++k) {
            std::vector<std::tuple<double, std::size_t, std::size_t>> cells;
            double unchanged = 0;
            for (std::size_t i = 0; i < C; ++i) {
                for (std::size_t j = 0; j < C; ++j) {
                    double a = 0;
                    for (std::size_t d = 0; d < D; ++d) {
                        a += r.transitions_area_ha[((d * K + k) * C + i) * C + j];
                    }
                    if (i == j) {
                        unchanged += a;
                    } else if (a > 0) {
                        cells.emplace_back(a, i, j);
                    }
                }
            }
            std::stable_sort(cells.begin(), cells.end(), [](const auto &a, const auto &b) {
                return std::get<0>(a) > std::get<0>(b);
            });
            h << "<h3>" << period_label(r.years[k], r.years[k + 1])
              << "</h3>\n<p>Unchanged: " << format_number(unchanged, 1)
              << " ha; changed: " << cells.size() << " class pairs.</p>\n";
            if (!cells.empty()) {
                h << "<table>\n<tr><th>from</th><th>to</th><th>area (ha)</th></tr>\n";
                for (std::size_t n = 0; n < cells.size() && n < 20; ++n) {
                    const auto &[a, i, j] = cells[n];
                    h << "<tr><td>" << html_escape(cname(r.class_codes[i])) << "</td><td>"
                      << html_escape(cname(r.class_codes[j])) << "</td><td class=\"n\">"
                      << format_number(a, 1) << "</td></tr>\n";
                }
                h << "</table>\n";
            }
        }
    }

    // ---- 5. Warnings and provenance -----------------------------------------------------------
    h << "<h2 id=\"warnings\">Warnings</h2>\n";
    if (warnings.empty()) {
        h << "<p>None.</p>\n";
    } else {
        h << "<ul>\n";
        for (const auto &w : warnings) {
            h << "<li>" << html_escape(w) << "</li>\n";
        }
        h << "</ul>\n";
    }
    h << "<h3>Unverified parameters [U] the run used</h3>\n";
    if (result.unverified_used.empty()) {
        h << "<p>None.</p>\n";
    } else {
        h << "<p class=\"note\">Their values are not confirmed by a source; check them before "
             "using the figures.</p>\n<ul>\n";
        for (const auto &p : result.unverified_used) {
            h << "<li>[U] " << html_escape(p) << "</li>\n";
        }
        h << "</ul>\n";
    }
    h << "<h2>Provenance</h2>\n<table>\n<tr><th>software</th><td>carbonsink "
      << html_escape(SOFTWARE_VERSION) << "</td></tr>\n<tr><th>stock model</th><td>"
      << html_escape(run.stock_model->name()) << "</td></tr>\n<tr><th>district assignment</th><td>"
      << html_escape(run.coverage_method) << "</td></tr>\n<tr><th>pixel area</th><td>"
      << html_escape(run.pixel_area->method()) << "</td></tr>\n";
    if (u != nullptr && run.uncertainty) {
        // The label names the method, draws and seed (uncertainty_run.hpp).
        h << "<tr><th>uncertainty</th><td>" << html_escape(u->label) << "</td></tr>\n";
    }
    h << "</table>\n<h3>Inputs</h3>\n<table>\n<tr><th>role</th><th>file</th><th>bytes</th>"
         "<th>SHA-256</th></tr>\n";
    for (std::size_t i = 0; i < run.inputs.size(); ++i) {
        const auto &in = run.inputs[i];
        h << "<tr><td>" << html_escape(in.role) << "</td><td>" << html_escape(in.path)
          << "</td><td class=\"n\">" << in.identity.size << "</td><td><code>"
          << html_escape(i < result.input_sha256.size() ? result.input_sha256[i] : "")
          << "</code></td></tr>\n";
    }
    h << "</table>\n";
    if (result.uncertainty && !result.uncertain_parameters_used.empty()) {
        const auto &ps = result.uncertainty->parameters();
        h << "<h3>Uncertain parameters</h3>\n<table>\n<tr><th>parameter</th><th>unit</th>"
             "<th>value</th><th>distribution</th><th>sd</th><th>status</th><th>source</th></tr>\n";
        for (const uint32_t q : result.uncertain_parameters_used) {
            const models::UncertainParameter &p = ps[q];
            h << "<tr><td>" << html_escape(p.name) << "</td><td>" << html_escape(p.unit)
              << "</td><td class=\"n\">" << format_number(p.central, 3) << "</td><td>"
              << html_escape(models::distribution_name(p.pdf.kind)) << "</td><td class=\"n\">"
              << format_number(models::pdf_sd(p), 3) << "</td><td>" << html_escape(p.status)
              << "</td><td>" << html_escape(p.source) << "</td></tr>\n";
        }
        h << "</table>\n";
    }
    h << "<h3>Configuration</h3>\n<pre>" << html_escape(cfg.config_text) << "</pre>\n";
    h << "</body>\n</html>\n";

    const std::string path = (fs::path(staging_dir) / "report.html").string();
    const std::string temp = (fs::path(staging_dir) / ".report.partial.html").string();
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        const std::string text = h.str();
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.close();
        if (!out) {
            const int err = errno;
            std::remove(temp.c_str());
            throw OutputError("cannot write output: " + path + ": " + io_cause(err));
        }
    }
    commit_file(temp, path);
}

} // namespace cs::pipeline::report
