// Small helpers shared by the writers of text outputs (districts.csv, transitions.csv,
// nep_monthly.csv, report.html, districts.gpkg's style): CSV quoting, markup escaping, the fixed
// number format, I/O causes and the final rename.
#pragma once
#include <string>

namespace cs::pipeline {

/// `s` with & < > " ' escaped, for HTML text and attributes and for XML (report.html, the QGIS
/// style of districts.gpkg).
std::string markup_escape(const std::string &s);
/// `s` quoted for CSV when it holds a comma, quote or line break.
std::string csv_quote(const std::string &s);
/// A number with 6 decimals, never "-0.000000".
std::string num(double v);
/// The cause of a failed file operation from its errno (with a hint when the disk is full).
std::string io_cause(int err);
/// Rename the finished `temp` to `final_path`; throws OutputError (and removes `temp`).
void commit_file(const std::string &temp, const std::string &final_path);
/// The time stamped into the outputs (results.h5 created_utc, report.html, districts.gpkg and
/// .xlsx), in UTC with strftime `format`: SOURCE_DATE_EPOCH when set (the reproducible-builds
/// convention, which makes the bytes of every output repeatable), else now.
std::string stamp_utc(const char *format);

} // namespace cs::pipeline
