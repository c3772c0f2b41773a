// models.nep on the chain (see nep_stage.hpp).
#include "models/nep_stage.hpp"

#include "models/losses.hpp"

#include <algorithm>
#include <cmath>

namespace cs::models {

NepStage::NepStage(Method method, std::vector<std::string> layer_names, CasaVegetationTable table,
                   std::string table_where, const std::vector<CasaClassMapping> &mapping,
                   std::string mapping_where, std::vector<std::string> month_labels)
    : m_method(method), m_name(method == Method::casa ? "nep.casa" : "nep.npp_raster"),
      m_layer_names(std::move(layer_names)), m_table(std::move(table)),
      m_table_where(std::move(table_where)), m_mapping_where(std::move(mapping_where)),
      m_has_types(!mapping.empty() || method == Method::casa), m_months(month_labels.size()),
      m_month_labels(std::move(month_labels)) {
    m_types.build(mapping);
    for (const auto &row : m_table.rows) {
        m_parameters.push_back(row.parameters);
    }
    auto index = [&](const char *name) {
        const auto it = std::find(m_layer_names.begin(), m_layer_names.end(), name);
        return it == m_layer_names.end() ? -1 : static_cast<int>(it - m_layer_names.begin());
    };
    m_ndvi = index("ndvi");
    m_t = index("temperature_c");
    m_p = index("precipitation_mm");
    m_sol = index("solar_mj_per_m2");
    m_et = index("et_mm");
    m_pet = index("pet_mm");
    m_npp = index("npp_g_c_per_m2");
}

std::vector<LayerDecl> NepStage::layers() const {
    std::vector<LayerDecl> out;
    for (const auto &name : m_layer_names) {
        LayerDecl d;
        d.name = name;
        d.axis = TimeAxis::month;
        // Units as interface.md "Seasonal flux" gives them. Out-of-range values (NDVI beyond
        // -1..1, negative precipitation, radiation or Ep) are counted pixel statuses, not
        // refusals, so no layer is declared a non-negative quantity.
        d.unit = name == "ndvi"              ? "1"
                 : name == "temperature_c"   ? "degC"
                 : name == "solar_mj_per_m2" ? "MJ m-2 month-1"
                 : name == "npp_g_c_per_m2"  ? "g C m-2 month-1"
                                             : "mm month-1";
        out.push_back(d);
    }
    return out;
}

std::vector<SeriesDecl> NepStage::series() const {
    return {{NEP_SERIES_NPP, "Mg C", TimeAxis::month, "net primary production of the month"},
            {NEP_SERIES_RH, "Mg C", TimeAxis::month,
             "heterotrophic (soil microbial) respiration of the month"},
            // The NEP maps: g C m-2 = Mg C ha-1 x 100 (casa.hpp MG_C_PER_HA_PER_G_C_PER_M2).
            {NEP_SERIES_NEP, "Mg C", TimeAxis::month, "net ecosystem production (NPP - R_H)", "nep",
             "g C m-2", 1.0 / MG_C_PER_HA_PER_G_C_PER_M2, "> 0 = sink; CO2 = -44/12 x NEP"},
            {NEP_SERIES_INVALID, "ha", TimeAxis::month, "area without NEP that month"}};
}

void NepStage::month_row(const MonthRow &row) const {
    NepRowInputs in;
    in.width = row.n;
    in.months = row.months;
    in.year = row.year;
    in.land_cover = row.land_cover;
    in.land_cover_valid = row.land_cover_valid;
    in.types = m_has_types ? &m_types : nullptr;
    in.parameters = m_parameters.empty() ? nullptr : m_parameters.data();
    auto layer = [&](int i) { return i < 0 ? nullptr : row.layers[i]; };
    in.ndvi = layer(m_ndvi);
    in.temperature_c = layer(m_t);
    in.precipitation_mm = layer(m_p);
    in.solar_mj_per_m2 = layer(m_sol);
    in.et_mm = layer(m_et);
    in.pet_mm = layer(m_pet);
    in.npp_g_c_per_m2 = layer(m_npp);
    NepRowOutputs out;
    out.npp = row.series[0];
    out.rh = row.series[1];
    out.nep = row.series[2];
    out.no_value = row.series[3];
    // The driver sums value x pixel area in ha: g C m-2 -> Mg C ha-1 (casa.hpp).
    out.scale = MG_C_PER_HA_PER_G_C_PER_M2;
    out.status_count = row.usage;
    out.vegetation_used = row.usage + m_months * static_cast<std::size_t>(NEP_STATUS_COUNT);
    if (m_method == Method::casa) {
        casa_nep_row(in, out);
    } else {
        npp_raster_nep_row(in, out);
    }
    if (row.stats != nullptr) {
        fill_statistics(row);
    }
}

// Keys: casa: one per vegetation-table row, then R_H, R_H in NEP, invalid area; npp_raster: the
// NPP data key, then the same three.
std::vector<UncertainParameter> NepStage::uncertain_parameters() const {
    std::vector<UncertainParameter> out;
    auto none = [](std::string name, std::string unit, double central, std::string source,
                   std::string status) {
        UncertainParameter p;
        p.name = std::move(name);
        p.unit = std::move(unit);
        p.central = central;
        p.pdf.kind = Distribution::none;
        p.pdf.mean = central;
        p.source = std::move(source);
        p.status = std::move(status);
        return p;
    };
    if (m_method == Method::casa) {
        const std::string file = parameter_file_name(m_table_where);
        for (const auto &r : m_table.rows) {
            out.push_back(none(file + ":epsilon_max_g_c_per_mj[" + r.casa_type + "]", "g C/MJ",
                               r.parameters.epsilon_max_g_c_per_mj,
                               file + " line " + std::to_string(r.line) + " (" + r.source +
                                   "); no documented uncertainty of ε_max (science.md §7.1 [U])",
                               r.status));
        }
    }
    const std::string pei = "Pei et al. 2009 as printed in ChinaXiv-202106.00081 §1.3.3 "
                            "(science.md §5.2); the R_H model error is [U] (science.md §7.1)";
    out.push_back(none(PEI_RH_A_PARAMETER, "1", PEI_RH_A, pei, "V"));
    out.push_back(none(PEI_RH_SHARE_PARAMETER, "1", PEI_RH_MICROBIAL_SHARE, pei, "V"));
    return out;
}

std::vector<StatisticDecl> NepStage::statistics() const {
    StatisticDecl d;
    d.name = "nep_month";
    d.axis = TimeAxis::month;
    d.pairs = 3;
    const auto n_eps = m_method == Method::casa ? static_cast<uint32_t>(m_table.rows.size()) : 0;
    const uint32_t a = n_eps;
    const uint32_t share = n_eps + 1;
    if (m_method == Method::casa) {
        for (uint32_t v = 0; v < n_eps; ++v) {
            d.keys.push_back({Term{0, {v}}, Term{2, {v}}});
        }
    } else {
        d.keys.push_back({Term{0, {}}, Term{2, {}}}); // the user's NPP: data
    }
    d.keys.push_back({Term{1, {a, share}}});
    d.keys.push_back({Term{2, {a, share}}});
    d.keys.push_back({Term{3, {}}});
    return {d};
}

void NepStage::fill_statistics(const MonthRow &row) const {
    const bool casa = m_method == Method::casa;
    const auto first = static_cast<int32_t>(casa ? m_table.rows.size() : 1);
    const int32_t k_rh = first;
    const int32_t k_rh_nep = first + 1;
    const int32_t k_invalid = first + 2;
    // The central R_H divided by its monomial a x s gives the weight (science.md §5.2).
    const double rh_monomial = PEI_RH_A * PEI_RH_MICROBIAL_SHARE;
    for (std::size_t m = 0; m < row.months; ++m) {
        const StatisticRows &st = row.stats[m];
        int32_t *key0 = st.key[0];
        int32_t *key1 = st.key[1];
        int32_t *key2 = st.key[2];
        double *w0 = st.weight[0];
        double *w1 = st.weight[1];
        double *w2 = st.weight[2];
        const double *npp = row.series[0][m];
        const double *rh = row.series[1][m];
        const int32_t *lc = row.land_cover[m];
        for (std::size_t i = 0; i < row.n; ++i) {
            if (std::isnan(npp[i])) {
                key0[i] = k_invalid;
                w0[i] = 1.0;
                key1[i] = -1;
                w1[i] = 0.0;
                key2[i] = -1;
                w2[i] = 0.0;
                continue;
            }
            if (casa) {
                // A pixel-month with a value has a vegetation type (casa_nep_row's statuses).
                const int v = m_types.find(lc[i]);
                key0[i] = v;
                w0[i] = npp[i] / m_parameters[static_cast<std::size_t>(v)].epsilon_max_g_c_per_mj;
            } else {
                key0[i] = 0;
                w0[i] = npp[i];
            }
            key1[i] = k_rh;
            w1[i] = rh[i] / rh_monomial;
            key2[i] = k_rh_nep;
            w2[i] = -rh[i] / rh_monomial;
        }
    }
}

std::vector<std::string> NepStage::unverified_parameters(const std::vector<int64_t> &usage) const {
    if (usage.size() != usage_cells()) {
        return {};
    }
    const auto first = usage.begin() + static_cast<std::ptrdiff_t>(
                                           m_months * static_cast<std::size_t>(NEP_STATUS_COUNT));
    return casa_unverified_parameters(m_table, m_table_where,
                                      std::vector<int64_t>(first, usage.end()));
}

std::vector<std::string> NepStage::warnings(const std::vector<int64_t> &usage) const {
    std::vector<std::string> out;
    if (usage.size() != usage_cells()) {
        return out;
    }
    const auto S = static_cast<std::size_t>(NEP_STATUS_COUNT);
    // One warning per status that needs the user's attention, with its total and the months
    // it occurs in (at most the first five named).
    auto report = [&](NepStatus status, const std::string &what) {
        int64_t total = 0;
        std::string months;
        int named = 0;
        std::size_t with = 0;
        for (std::size_t m = 0; m < m_months; ++m) {
            const int64_t n = usage[m * S + static_cast<std::size_t>(status)];
            if (n == 0) {
                continue;
            }
            total += n;
            ++with;
            if (named < 5) {
                months += (named ? ", " : "") + m_month_labels[m] + ": " + std::to_string(n);
                ++named;
            }
        }
        if (total == 0) {
            return;
        }
        out.push_back("models." + m_name + ": " + std::to_string(total) +
                      (total == 1 ? " pixel-month has " : " pixel-months have ") + what + " (" +
                      months + (with > static_cast<std::size_t>(named) ? ", ..." : "") + ")");
    };
    report(NepStatus::no_vegetation_type, "a land-cover class without a CASA vegetation type in " +
                                              m_mapping_where +
                                              "; they have no NEP and count as invalid area");
    report(NepStatus::ndvi_out_of_range,
           "an NDVI outside -1..1 that is not flagged as nodata; they have no NEP and count "
           "as invalid area");
    report(NepStatus::invalid_value,
           "a negative precipitation, solar radiation or potential evapotranspiration, or "
           "a value that is not finite; they have no NEP and count as invalid area");
    report(NepStatus::valid_no_pet,
           "a potential evapotranspiration of 0: the water stress factor is taken as 1");
    return out;
}

} // namespace cs::models
