// libFuzzer target: the CSV and table parsers of models/. The first input byte picks the parser
// ('a' parse_csv, 'b' pools table, ... 'o' growth types, 'p' CASA table, 'q' vegetation mapping,
// 'r' months, 's' land-cover error matrix; other bytes wrap around, see run()), the rest is the CSV
// text, so the seeds in corpus/tables are readable text files. The table parsers document that they
// report every problem in their error list, so nothing may escape them; parse_csv and the
// LookupStockModel constructor document models::ModelError, which is caught here as the pipeline
// catches it. Any other exception escaping is a bug, and libFuzzer reports it as a crash (uncaught
// exception).
#include "models/area_accuracy.hpp"
#include "models/builtin_tables.hpp"
#include "models/casa.hpp"
#include "models/crosswalk.hpp"
#include "models/csv.hpp"
#include "models/gain_loss.hpp"
#include "models/inventory_stock.hpp"
#include "models/lookup_stock.hpp"
#include "models/model_error.hpp"
#include "models/months.hpp"
#include "models/parameter_tables.hpp"
#include "models/pools_table.hpp"
#include "models/soil_tier1.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace cs::models;

/// The built-in tables the user's tables are resolved against, parsed once.
struct Builtins {
    InventoryTables inventory;
    SocFactorTable factors;
    Tier1GrowthTable growth;
    CasaVegetationTable casa;
    Builtins() {
        std::vector<std::string> errs;
        std::string file;
        inventory.cbef = parse_cbef_table(builtin_parameter_table("china_cbef", file), file, errs);
        inventory.bcef = parse_bcef_table(builtin_parameter_table("ipcc_bcef", file), file, errs);
        inventory.root_shoot =
            parse_root_shoot_table(builtin_parameter_table("ipcc_root_shoot", file), file, errs);
        factors = parse_soc_factor_table(builtin_parameter_table("ipcc2019_soc_factors", file),
                                         file, errs);
        growth = parse_tier1_growth_table(builtin_parameter_table("ipcc_tier1_growth", file), file,
                                          errs);
        casa = parse_casa_table(builtin_parameter_table("casa_vegetation", file), file, errs);
        if (!errs.empty()) {
            __builtin_trap(); // a shipped table does not parse: a build defect
        }
    }
};

const Builtins &builtins() {
    static const Builtins b;
    return b;
}

/// Run parser `which` on `text`; returns a value depending on the result so nothing is elided.
std::size_t run(unsigned which, const std::string &text) {
    const std::string where = "fuzz.csv";
    std::vector<std::string> errs;
    std::size_t sink = 0;
    switch (which) {
    case 0: { // 'a'
        CsvTable t;
        try {
            t = parse_csv(text, where);
        } catch (const ModelError &) {
            return 0; // documented: unclosed quote, no header row
        }
        double v = 0.0;
        for (const auto &row : t.rows) {
            sink += row.cell(0).size() + static_cast<std::size_t>(parse_number(row.cell(1), v));
        }
        sink += static_cast<std::size_t>(t.column("lucode") + 1);
        break;
    }
    case 1: { // 'b'
        PoolsTable t = parse_pools_table(text, where, errs);
        if (errs.empty() && !t.rows.empty()) {
            // What stocks.lookup builds from a clean table (a dense or sparse code index).
            try {
                const LookupStockModel m(std::move(t));
                sink += m.class_codes().size();
            } catch (const ModelError &) {
                // documented (the pipeline reports it as invalid model parameters)
            }
        }
        break;
    }
    case 2: // 'c'
        sink += parse_cbef_table(text, where, errs).rows.size();
        break;
    case 3: // 'd'
        sink += parse_bcef_table(text, where, errs).rows.size();
        break;
    case 4: // 'e'
        sink += parse_root_shoot_table(text, where, errs).rows.size();
        break;
    case 5: // 'f'
        sink += parse_dom_table(text, where, errs).rows.size();
        break;
    case 6: // 'g'
        sink += parse_soc_ref_table(text, where, errs).rows.size();
        break;
    case 7: // 'h'
        sink += parse_soc_factor_table(text, where, errs).rows.size();
        break;
    case 8: // 'i'
        sink += parse_climate_zone_code_table(text, where, errs).rows.size();
        break;
    case 9: // 'j'
        sink += parse_tier1_growth_table(text, where, errs).rows.size();
        break;
    case 10: // 'k'
        sink += parse_forest_types(text, where, builtins().inventory, errs).size();
        break;
    case 11: // 'l'
        sink += parse_soil_management(text, where, errs, nullptr).size();
        sink += parse_soil_management(text, where, errs, &builtins().factors).size();
        break;
    case 12: // 'm'
        sink += parse_soil_management_codes(text, where, errs, nullptr).codes.size();
        sink += parse_soil_management_codes(text, where, errs, &builtins().factors).codes.size();
        break;
    case 13: { // 'n'
        const Crosswalk xw = Crosswalk::parse(text, where, errs);
        const std::vector<int32_t> probe = {INT32_MIN, -1, 0, 1, 10, 255, INT32_MAX};
        for (const int32_t c : probe) {
            sink += xw.find(c) != nullptr ? 1 : 0;
        }
        sink += xw.missing_message("fuzz", probe).size() + xw.unverified().size();
        break;
    }
    case 14: // 'o'
        sink += parse_growth_types(text, where, builtins().growth, errs).size();
        break;
    case 15: // 'p'
        sink += parse_casa_table(text, where, errs).rows.size();
        break;
    case 16: { // 'q'
        const auto mapping = parse_casa_mapping(text, where, builtins().casa, errs);
        CasaTypeOfClass types;
        types.build(mapping);
        for (const int32_t c : {INT32_MIN, -1, 0, 1, 2, 255, INT32_MAX}) {
            sink += static_cast<std::size_t>(types.find(c) + 1);
        }
        break;
    }
    case 17: { // 'r': months "first\nlast\npattern"
        const auto nl = text.find('\n');
        const std::string first = text.substr(0, nl);
        const std::string rest = nl == std::string::npos ? std::string() : text.substr(nl + 1);
        const auto nl2 = rest.find('\n');
        const std::string last = rest.substr(0, nl2);
        const std::string pattern = nl2 == std::string::npos ? std::string() : rest.substr(nl2 + 1);
        std::vector<YearMonth> months;
        sink += month_range(first, last, months).size() + check_month_pattern(pattern).size();
        if (months.size() <= 1200) { // bound the work per input (100 years)
            std::vector<SeasonOfYear> seasons;
            std::vector<int> of;
            seasons_of(months, seasons, of);
            sink += seasons.size();
            for (const auto &m : months) {
                sink += expand_month_pattern(pattern, m).size() +
                        static_cast<std::size_t>(epoch_of_month({2000, 2010}, m));
            }
        }
        break;
    }
    case 18: { // 's': a land-cover error matrix, and the area estimate of a clean one
        const ErrorMatrix m = parse_error_matrix(text, where, errs);
        if (errs.empty() && !m.codes.empty()) {
            std::vector<double> mapped(m.codes.size());
            for (std::size_t i = 0; i < mapped.size(); ++i) {
                mapped[i] = static_cast<double>(i + 1) * 100.0;
            }
            try {
                const AreaEstimate a = estimate_areas(m, mapped, 0.95);
                sink += a.codes.size();
                std::vector<std::string> warnings;
                sink += land_cover_area_parameters(a, 2020, where, warnings).size();
            } catch (const ModelError &) {
                // documented: a row with fewer than 2 samples
            }
        }
        break;
    }
    default:
        break;
    }
    return sink + errs.size();
}

constexpr unsigned PARSERS = 19;

} // namespace

/// Results are stored here so the optimiser keeps the parsing.
volatile std::size_t cs_fuzz_keep = 0;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const unsigned which = (static_cast<unsigned>(data[0]) + 256U - 'a') % PARSERS;
    const std::string text(reinterpret_cast<const char *>(data + 1), size - 1);
    cs_fuzz_keep = run(which, text);
    return 0;
}
