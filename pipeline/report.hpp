// report.html: one self-contained page for the people who read the results (interface.md,
// "Outputs people open"): the run in a few lines, maps of the stock of each epoch and of each
// period's change (the GeoTIFF outputs read by GDAL at a reduced size, coloured here, PNG inline
// as data: URIs, district outlines as an SVG overlay), SVG charts per district, the district
// tables of every level, the transition summary, every warning and unverified parameter, and the
// provenance. No JavaScript, no network: it opens from a USB stick or an e-mail attachment.
//
// The small pieces (escaping, colour ramps, axes, charts) are public so that tests check them
// with hand-worked values.
#pragma once
#include "pipeline/outputs.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/runner.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

class OGRGeometry;

namespace cs::pipeline::report {

/// `s` with &, <, >, " and ' replaced by character references, for HTML text and attribute
/// values alike. Bytes are otherwise kept (the page is UTF-8).
std::string html_escape(const std::string &s);

/// RFC 4648 base64 (standard alphabet, '=' padding) of `bytes`.
std::string base64(const std::string &bytes);

/// A number with `decimals` decimals and thousands grouped by commas ("-1,234.5"); never "-0".
/// NaN or infinite values give "n/a".
std::string format_number(double v, int decimals);

struct Rgb {
    uint8_t r = 0, g = 0, b = 0;
    bool operator==(const Rgb &) const = default;
};
/// "#rrggbb".
std::string hex(Rgb c);

/// Colours for values in equal classes between lo and hi: class k covers
/// [lo + k w, lo + (k+1) w), w = (hi - lo) / n; values below lo take class 0, values at or above
/// hi the last class.
struct ClassedRamp {
    double lo = 0.0, hi = 1.0;
    std::vector<Rgb> colours;
    std::size_t class_of(double v) const;
    Rgb colour(double v) const { return colours[class_of(v)]; }
    /// The n + 1 class breaks, lo first.
    std::vector<double> breaks() const;
};

/// Sequential ramp for stocks over [0, max] (ColorBrewer "YlGn", 7 classes; Brewer,
/// colorbrewer2.org): light for little carbon, dark green for much. max <= 0 gives [0, 1].
ClassedRamp sequential_ramp(double max);

/// Diverging ramp for changes over [-m, m] (ColorBrewer "RdYlGn", 7 classes): losses red, gains
/// (sink, positive) green, and the middle class, which straddles 0, the light neutral colour.
/// m <= 0 gives [-1, 1].
ClassedRamp diverging_ramp(double max_abs);

/// A chart axis with round ticks: lo and hi rounded out to multiples of `step`, about five
/// steps (step = 1, 2, 2.5 or 5 x 10^k). An empty range [v, v] is widened to include 0 (or to
/// [0, 1] when v = 0).
struct Axis {
    double lo = 0.0, hi = 1.0, step = 0.2;
    /// Position of `v` on an axis drawn over `length` units: (v - lo) / (hi - lo) x length.
    double position(double v, double length) const { return (v - lo) / (hi - lo) * length; }
};
Axis nice_axis(double lo, double hi);

/// One series of a bar chart: a value per district; low/high (the interval) empty without
/// uncertainty, else parallel to `values`.
struct BarSeries {
    std::string label;
    Rgb colour;
    std::vector<double> values, low, high;
};

/// Layout of the bar charts (SVG user units), public for the tests.
struct BarLayout {
    double label_width = 220.0; ///< district names, right-aligned before the plot
    double plot_width = 560.0;  ///< the value axis
    double bar_height = 12.0;   ///< one bar; a district's bars are stacked, one per series
    double gap = 8.0;           ///< between districts
    double top = 40.0;          ///< title and legend
    double bottom = 36.0;       ///< tick labels and unit
};

/// A horizontal bar chart (one row per district, one bar per series), with error bars where a
/// series has intervals. With more than `top_n` districts, the `top_n` of largest magnitude (max
/// |value| over the series) are drawn, in table order, and a note says how many are left out.
/// Each bar is a <rect class="bar" x=... width=...> from the axis' 0 (or lo when 0 is outside) to
/// the value; each error bar a <line class="err">. Names are escaped.
std::string svg_bar_chart(const std::string &title, const std::vector<std::string> &names,
                          const std::vector<BarSeries> &series, const std::string &unit,
                          std::size_t top_n, const BarLayout &layout = {});

/// A line chart of series over the same x labels (e.g. months), with a zero line.
struct LineSeries {
    std::string label;
    Rgb colour;
    std::vector<double> values;
};
std::string svg_line_chart(const std::string &title, const std::vector<std::string> &x_labels,
                           const std::vector<LineSeries> &series, const std::string &unit);

/// The legend of a classed ramp: one swatch per class, the breaks under the swatches (with
/// `decimals`), and the unit.
std::string svg_legend(const ClassedRamp &ramp, const std::string &unit, int decimals);

/// The outline of a polygon geometry as an SVG path (M ... L ... Z per ring) in the pixel space
/// of a map image: x = (X - gt[0]) / gt[1] x sx, y = (Y - gt[3]) / gt[5] x sy (a north-up
/// grid), coordinates rounded to 0.1; a vertex less than 0.5 from the last one kept in both x
/// and y is dropped (except a ring's last). Empty for other geometry types.
std::string svg_outline(const OGRGeometry &g, const std::array<double, 6> &geotransform, double sx,
                        double sy);

/// Write report.html into `staging_dir`, reading the GeoTIFF outputs already committed there.
/// Throws OutputError.
void write_report(const PreparedRun &run, const RunResult &result,
                  const std::vector<DistrictResults> &levels, const std::string &staging_dir);

} // namespace cs::pipeline::report
