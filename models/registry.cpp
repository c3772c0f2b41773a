// The explicit model registry (no static-initializer registration).
#include "models/registry.hpp"

namespace cs::models {

const std::vector<ModelInfo> &model_registry() {
    static const std::vector<ModelInfo> models = {
        {
            .name = "stocks.lookup",
            .section = "stocks",
            .method = "lookup",
            .summary = "Carbon density per land-cover class and pool from a table (InVEST "
                       "Carbon-compatible); IPCC Tier 1 stock accounting by land category.",
            .inputs = {"land_cover.epochs: one class raster per epoch (integer codes)"},
            .parameters = {{"c_above", "Mg C/ha", "above-ground biomass carbon per class",
                            "user table (models.stocks.table); InVEST Carbon pools table format"},
                           {"c_below", "Mg C/ha", "below-ground biomass carbon per class",
                            "user table"},
                           {"c_soil", "Mg C/ha", "soil organic carbon per class", "user table"},
                           {"c_dead", "Mg C/ha",
                            "dead organic matter (dead wood + litter) per class", "user table"}},
            .outputs = {"stocks per pool: above_ground, below_ground, soil, "
                        "dead_organic_matter (Mg C)",
                        "stock_<year>.tif: total density (Mg C/ha)"},
            .reference = "InVEST User's Guide, Carbon Storage and Sequestration; IPCC 2006 "
                         "Vol. 4 Ch. 2",
        },
        {
            .name = "stocks.agb_raster",
            .section = "stocks",
            .method = "agb_raster",
            .summary = "Above-ground biomass from the user's map (one raster per epoch, Mg dry "
                       "matter/ha or Mg C/ha); below-ground = above x root:shoot ratio; soil and "
                       "dead organic matter per land-cover class from the pools table.",
            .inputs = {"land_cover.epochs: class raster per epoch",
                       "models.stocks.agb: AGB raster per epoch (continuous; bilinear/average "
                       "when warped)"},
            .parameters = {{"carbon_fraction", "Mg C / Mg dm",
                            "dry matter to carbon (required for mg_dm_per_ha maps)",
                            "user; IPCC 2006 Vol. 4 Ch. 4 Table 4.3 (0.47 default; 0.48 temperate "
                            "broadleaf, 0.51 temperate conifer; science.md §2.1)"},
                           {"root_shoot_ratio", "1", "R = BGB / AGB",
                            "user; IPCC 2006 Vol. 4 Ch. 4 Table 4.4 (science.md §2.2)"},
                           {"c_soil, c_dead", "Mg C/ha", "soil and dead organic matter per class",
                            "user pools table"}},
            .outputs = {"stocks per pool: above_ground, below_ground, soil, "
                        "dead_organic_matter (Mg C)"},
            .reference = "IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8 (stocks from biomass), Ch. 4 Tables "
                         "4.3-4.4",
        },
        {
            .name = "stocks.inventory",
            .section = "stocks",
            .method = "inventory",
            .summary = "Forest biomass from growing-stock volume and forest type: China's "
                       "continuous BEF (B = aV + b, roots included, booked unsplit as "
                       "live_biomass_cbef) or IPCC BCEF_S with root:shoot by AGB class, as the "
                       "forest-types table chooses per type; other classes and soil and dead "
                       "organic matter from the pools table.",
            .inputs = {"land_cover.epochs: class raster per epoch",
                       "models.stocks.volume: growing-stock volume per epoch, m3/ha",
                       "models.stocks.forest_type: forest-type codes (one raster)",
                       "models.stocks.forest_types: CSV, code -> method and parameter keys",
                       "models.stocks.forest_classes or .crosswalk: which classes are forest"},
            .parameters =
                {{"a, b", "t dm/m3, t dm/ha", "B = aV + b per Chinese forest type",
                  "configs/parameters/china_cbef.csv (Fang et al. 2001/2007 via ChinaXiv "
                  "papers; science.md §4)"},
                 {"carbon_fraction (CBEF)", "1", "per row of china_cbef.csv (0.5, Fang-style)",
                  "science.md §2.1"},
                 {"BCEF_S", "t dm/m3", "by growing-stock class, climate domain and type",
                  "configs/parameters/ipcc_bcef.csv (IPCC 2006 Vol. 4 Ch. 4 Table 4.5)"},
                 {"R", "1", "root:shoot by AGB class",
                  "configs/parameters/ipcc_root_shoot.csv (IPCC 2006 Vol. 4 Ch. 4 Table 4.4)"},
                 {"carbon_fraction (IPCC)", "1", "per forest type in the forest-types table",
                  "user; IPCC 2006 Vol. 4 Ch. 4 Table 4.3"}},
            .outputs = {"stocks per pool: above_ground, below_ground, live_biomass_cbef, soil, "
                        "dead_organic_matter (Mg C)"},
            .reference = "IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8, Ch. 4 Tables 4.3-4.5; Fang et al. "
                         "2001 (Science 292:2320) continuous BEF",
        },
        {
            .name = "soil.ipcc_tier1",
            .section = "soil",
            .method = "ipcc_tier1",
            .summary = "Mineral-soil organic carbon (0-30 cm) = SOC_REF(climate zone, soil type) x "
                       "F_LU x F_MG x F_I per land-cover class or management-raster code, moving "
                       "linearly to a new equilibrium over D years after a change; replaces "
                       "the soil pool.",
            .inputs = {"models.soil.climate_zone: IPCC 2019 climate-zone codes",
                       "models.soil.soil_type: soil codes, mapped by models.soil.soil_types",
                       "models.soil.management: per class mode and factor levels",
                       "models.soil.management_raster (optional): management codes per pixel, "
                       "one raster or one per epoch, for classes of mode raster",
                       "models.soil.management_codes: land use and factor levels per code"},
            .parameters =
                {{"SOC_REF", "Mg C/ha", "by climate zone and soil class",
                  "configs/parameters/ipcc2019_soc_ref.csv (IPCC 2019 Vol. 4 Ch. 2 Table 2.3)"},
                 {"F_LU, F_MG, F_I", "1", "stock-change factors by land use, level and zone",
                  "configs/parameters/ipcc2019_soc_factors.csv (IPCC 2019 Tables 5.5, 6.2)"},
                 {"transition_years", "yr", "D, years to the new equilibrium",
                  "IPCC 2006 Vol. 4 Ch. 2 Eq. 2.25 default 20"}},
            .outputs = {"the soil pool of every epoch (Mg C)"},
            .reference = "IPCC 2006/2019 Vol. 4 Ch. 2 Eq. 2.25",
        },
        {
            .name = "flux.stock_difference",
            .section = "sink",
            .method = "stock_difference",
            .summary = "Annual stock change between consecutive epochs, (C_t2 - C_t1)/(t2 - "
                       "t1); positive = uptake (sink). Net emissions = -44/12 x change.",
            .inputs = {"the stocks of two consecutive epochs"},
            .parameters = {{"44/12", "Mg CO2 / Mg C", "CO2:C mass ratio",
                            "science.md §1.1; IPCC 2006 Vol. 4 Ch. 2"}},
            .outputs = {"stock_change_mg_c_per_yr per district and period",
                        "net_emissions_mg_co2_per_yr per district and period",
                        "stock_change_<y1>_<y2>.tif (Mg C/ha/yr)"},
            .reference = "IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8 (stock-difference method)",
        },
    };
    return models;
}

const ModelInfo *find_model(const std::string &section, const std::string &method) {
    for (const auto &m : model_registry()) {
        if (m.section == section && m.method == method) {
            return &m;
        }
    }
    return nullptr;
}

} // namespace cs::models
