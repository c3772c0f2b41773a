// The district table for GIS and spreadsheet users: districts.csvt (OGR/QGIS column types of
// districts.csv), districts.gpkg (the district polygons with every districts.csv column, one
// layer per hierarchy level, a default QGIS style) and districts.xlsx (interface.md, "Outputs
// people open"). All are made from the staged districts.csv, so their values are the CSV's.
#pragma once
#include "pipeline/outputs.hpp"
#include "pipeline/prepare.hpp"

#include <string>
#include <vector>

namespace cs::pipeline {

/// The OGR type of each districts.csv column, as the .csvt sidecar names it: "Integer64" for
/// district_id and the parent-level id columns (those after "level"), "String" for
/// district_name and level, "Real" for every figure.
std::vector<std::string> districts_csv_types(const std::vector<std::string> &columns);

/// Parse CSV text (RFC 4180: quoted fields, "" inside quotes, newlines inside quotes) into
/// rows of fields.
std::vector<std::vector<std::string>> parse_csv(const std::string &text);

/// A QGIS style (QML) drawing `column` as a graduated choropleth of five equal classes over
/// [-m, m], m = max |value| (so that losses are red, gains green and the middle class straddles
/// zero); one class when every value is 0 or none is finite.
std::string graduated_qml(const std::string &column, const std::vector<double> &values);

/// Write districts.csvt and, as the config asks, districts.gpkg (only with vector districts:
/// a district raster or the whole grid has no polygons) and districts.xlsx into staging_dir,
/// reading the districts.csv (and transitions.csv) already written there. Throws OutputError.
void write_vector_outputs(const PreparedRun &run, const std::vector<DistrictResults> &levels,
                          const std::string &staging_dir);

} // namespace cs::pipeline
