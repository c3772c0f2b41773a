// District polygons: reading, checks, reprojection and pixel-centre rasterization.
#include "raster/vector_districts.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>

namespace cs::raster {

struct VectorDistricts::Impl {
    // Geometries in the grid CRS, parallel to m_records (null for empty geometries).
    std::vector<std::unique_ptr<OGRGeometry>> geoms;
    std::vector<OGREnvelope> envelopes;
};

namespace {
bool parse_int64(const char *s, int64_t &out) {
    if (s == nullptr || *s == '\0') {
        return false;
    }
    errno = 0;
    char *end = nullptr;
    const long long v = std::strtoll(s, &end, 10);
    while (end != nullptr && (*end == ' ' || *end == '\t')) {
        ++end;
    }
    if (errno != 0 || end == nullptr || *end != '\0') {
        return false;
    }
    out = v;
    return true;
}
} // namespace

VectorDistricts::VectorDistricts(const VectorDistrictSpec &spec, const GridSpec &grid,
                                 Findings &findings)
    : m_impl(std::make_unique<Impl>()), m_grid(grid) {
    init_gdal();
    const std::size_t errors_before = findings.errors.size();
    const std::string where = spec.label + " (" + spec.path + ")";
    VSIStatBufL st;
    if (VSIStatL(spec.path.c_str(), &st) != 0) {
        throw RasterError("cannot open districts: " + where + ": file not found");
    }
    CPLErrorReset();
    std::unique_ptr<GDALDataset> ds(static_cast<GDALDataset *>(GDALOpenEx(
        spec.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)));
    if (!ds) {
        throw RasterError(
            "cannot open districts: " + where + ": " +
            (CPLGetLastErrorNo() != 0 ? last_gdal_error() : "not a vector format GDAL can read"));
    }
    OGRLayer *layer = spec.layer.empty() ? (ds->GetLayerCount() > 0 ? ds->GetLayer(0) : nullptr)
                                         : ds->GetLayerByName(spec.layer.c_str());
    if (layer == nullptr) {
        throw RasterError("cannot open districts: " + where + ": " +
                          (spec.layer.empty() ? std::string("the file has no layer")
                                              : "no layer named \"" + spec.layer + "\""));
    }
    OGRFeatureDefn *defn = layer->GetLayerDefn();
    auto field_list = [&] {
        std::string names;
        for (int i = 0; i < defn->GetFieldCount(); ++i) {
            names += (i ? ", " : "") + std::string(defn->GetFieldDefn(i)->GetNameRef());
        }
        return names.empty() ? std::string("(none)") : names;
    };
    const int id_idx = defn->GetFieldIndex(spec.id_field.c_str());
    if (id_idx < 0) {
        findings.errors.push_back("districts: " + where + ", layer " + layer->GetName() +
                                  ": id_field \"" + spec.id_field +
                                  "\" is not a field; fields are: " + field_list());
    }
    int name_idx = -1;
    if (!spec.name_field.empty()) {
        name_idx = defn->GetFieldIndex(spec.name_field.c_str());
        if (name_idx < 0) {
            findings.errors.push_back("districts: " + where + ", layer " + layer->GetName() +
                                      ": name_field \"" + spec.name_field +
                                      "\" is not a field; fields are: " + field_list());
        }
    }
    const OGRSpatialReference *layer_srs = layer->GetSpatialRef();
    std::unique_ptr<OGRCoordinateTransformation> ct;
    if (layer_srs == nullptr) {
        findings.errors.push_back("districts: " + where +
                                  ": the layer has no CRS, so it cannot be placed on the grid "
                                  "(add a .prj or save it with a CRS)");
    } else if (!grid.crs_wkt.empty()) {
        OGRSpatialReference grid_srs;
        grid_srs.importFromWkt(grid.crs_wkt.c_str());
        grid_srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        OGRSpatialReference src(*layer_srs);
        src.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        const char *opts[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", nullptr};
        if (!src.IsSame(&grid_srs, opts)) {
            ct.reset(OGRCreateCoordinateTransformation(&src, &grid_srs));
            if (!ct) {
                findings.errors.push_back(
                    "districts: " + where +
                    ": no coordinate transformation to the grid CRS: " + last_gdal_error());
            }
        }
    }
    if (findings.errors.size() != errors_before) {
        return;
    }

    struct Item {
        DistrictRecord rec;
        std::unique_ptr<OGRGeometry> geom;
    };
    std::vector<Item> items;
    std::map<int64_t, int64_t> first_fid;
    layer->ResetReading();
    for (auto &feature : *layer) {
        const int64_t fid = feature->GetFID();
        Item it;
        if (!feature->IsFieldSetAndNotNull(id_idx)) {
            findings.errors.push_back("districts: " + where + ", feature " + std::to_string(fid) +
                                      ": id_field \"" + spec.id_field + "\" is empty");
            continue;
        }
        const OGRFieldType ft = defn->GetFieldDefn(id_idx)->GetType();
        if (ft == OFTInteger || ft == OFTInteger64) {
            it.rec.id = feature->GetFieldAsInteger64(id_idx);
        } else if (!parse_int64(feature->GetFieldAsString(id_idx), it.rec.id)) {
            findings.errors.push_back("districts: " + where + ", feature " + std::to_string(fid) +
                                      ": id_field \"" + spec.id_field + "\" value \"" +
                                      feature->GetFieldAsString(id_idx) + "\" is not an integer");
            continue;
        }
        if (auto [pos, fresh] = first_fid.emplace(it.rec.id, fid); !fresh) {
            findings.errors.push_back("districts: " + where + ", feature " + std::to_string(fid) +
                                      ": duplicate district id " + std::to_string(it.rec.id) +
                                      " (also feature " + std::to_string(pos->second) + ")");
            continue;
        }
        if (name_idx >= 0 && feature->IsFieldSetAndNotNull(name_idx)) {
            it.rec.name = feature->GetFieldAsString(name_idx);
        }
        const OGRGeometry *g = feature->GetGeometryRef();
        if (g == nullptr || g->IsEmpty()) {
            it.rec.empty_geometry = true;
            findings.warnings.push_back("districts: " + where + ", district " +
                                        std::to_string(it.rec.id) +
                                        ": empty geometry; reported with zero area");
        } else {
            const auto flat = wkbFlatten(g->getGeometryType());
            if (flat != wkbPolygon && flat != wkbMultiPolygon && flat != wkbCurvePolygon &&
                flat != wkbMultiSurface && flat != wkbGeometryCollection) {
                findings.errors.push_back("districts: " + where + ", district " +
                                          std::to_string(it.rec.id) + ": geometry is a " +
                                          OGRGeometryTypeToName(g->getGeometryType()) +
                                          ", not a polygon");
                continue;
            }
            it.geom.reset(g->clone());
            if (ct && it.geom->transform(ct.get()) != OGRERR_NONE) {
                findings.errors.push_back("districts: " + where + ", district " +
                                          std::to_string(it.rec.id) +
                                          ": cannot be reprojected to the grid CRS");
                continue;
            }
        }
        items.push_back(std::move(it));
    }
    if (items.empty() && findings.errors.size() == errors_before) {
        findings.errors.push_back("districts: " + where + ": the layer has no features");
    }
    std::sort(items.begin(), items.end(),
              [](const Item &a, const Item &b) { return a.rec.id < b.rec.id; });
    for (auto &it : items) {
        OGREnvelope env;
        if (it.geom) {
            it.geom->getEnvelope(&env);
        }
        m_records.push_back(it.rec);
        m_impl->envelopes.push_back(env);
        m_impl->geoms.push_back(std::move(it.geom));
    }
}

VectorDistricts::~VectorDistricts() = default;

void VectorDistricts::rasterize(const Window &w, int32_t *out) const {
    const auto &gt = m_grid.geotransform;
    // Window extent in grid coordinates (north-up grids; rotated grids fall back to no filter).
    const double x0 = gt[0] + gt[1] * static_cast<double>(w.x_off);
    const double x1 = gt[0] + gt[1] * static_cast<double>(w.x_off + w.x_size);
    const double y0 = gt[3] + gt[5] * static_cast<double>(w.y_off);
    const double y1 = gt[3] + gt[5] * static_cast<double>(w.y_off + w.y_size);
    OGREnvelope win;
    win.MinX = std::min(x0, x1);
    win.MaxX = std::max(x0, x1);
    win.MinY = std::min(y0, y1);
    win.MaxY = std::max(y0, y1);
    const bool rotated = gt[2] != 0.0 || gt[4] != 0.0;

    std::vector<OGRGeometryH> geoms;
    std::vector<double> burn;
    for (std::size_t i = 0; i < m_records.size(); ++i) {
        const auto &g = m_impl->geoms[i];
        if (!g || (!rotated && !m_impl->envelopes[i].Intersects(win))) {
            continue;
        }
        geoms.push_back(OGRGeometry::ToHandle(g.get()));
        burn.push_back(static_cast<double>(i + 1));
    }
    const auto n = static_cast<std::size_t>(w.cells());
    std::fill(out, out + n, 0);
    if (geoms.empty()) {
        return;
    }
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDatasetH ds = GDALCreate(mem, "", static_cast<int>(w.x_size), static_cast<int>(w.y_size), 1,
                                 GDT_Int32, nullptr);
    if (ds == nullptr) {
        throw RasterError("cannot rasterize districts: window at x " + std::to_string(w.x_off) +
                          ", y " + std::to_string(w.y_off) + ": " + last_gdal_error());
    }
    double wgt[6] = {
        gt[0] + gt[1] * static_cast<double>(w.x_off) + gt[2] * static_cast<double>(w.y_off),
        gt[1],
        gt[2],
        gt[3] + gt[4] * static_cast<double>(w.x_off) + gt[5] * static_cast<double>(w.y_off),
        gt[4],
        gt[5]};
    GDALSetGeoTransform(ds, wgt);
    int band = 1;
    const CPLErr err =
        GDALRasterizeGeometries(ds, 1, &band, static_cast<int>(geoms.size()), geoms.data(), nullptr,
                                nullptr, burn.data(), nullptr, nullptr, nullptr);
    CPLErr rerr = CE_Failure;
    if (err == CE_None) {
        rerr = GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, static_cast<int>(w.x_size),
                            static_cast<int>(w.y_size), out, static_cast<int>(w.x_size),
                            static_cast<int>(w.y_size), GDT_Int32, 0, 0);
    }
    GDALClose(ds);
    if (err != CE_None || rerr != CE_None) {
        throw RasterError("cannot rasterize districts: window at x " + std::to_string(w.x_off) +
                          ", y " + std::to_string(w.y_off) + ": " + last_gdal_error());
    }
}

} // namespace cs::raster
