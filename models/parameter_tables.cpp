// Parsing, checks and lookups of the typed parameter tables (configs/parameters/*.csv).
#include "models/parameter_tables.hpp"

#include "models/csv.hpp"
#include "models/model_error.hpp"
#include "models/pools_table.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

namespace cs::models {

namespace {

constexpr double INF = std::numeric_limits<double>::infinity();
constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

std::string trim(const std::string &s) {
    std::size_t b = 0;
    std::size_t e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) {
        ++b;
    }
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) {
        --e;
    }
    return s.substr(b, e - b);
}

std::string upper(std::string s) {
    for (auto &c : s) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return s;
}

/// Text of a bound as it appears in messages: INF, -INF or the number as written.
std::string bound_text(double v) {
    if (v == INF) {
        return "INF";
    }
    if (v == -INF) {
        return "-INF";
    }
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') {
        s.pop_back();
    }
    return s;
}

std::string interval_text(double lo, double hi) {
    std::string s = "("; // appended piecewise: GCC 12 warns (-Wrestrict) on "(" + std::string&&
    s += bound_text(lo);
    s += ", ";
    s += bound_text(hi);
    s += "]";
    return s;
}

/// Classes (a, b] and (c, d] share a point. With the zero rule of in_class(), a class starting
/// at 0 also holds x = 0, which it shares with another class starting at 0 or ending at 0.
bool intervals_overlap(double a, double b, double c, double d) {
    return std::max(a, c) < std::min(b, d) || (a == 0.0 && (c == 0.0 || d == 0.0)) ||
           (c == 0.0 && b == 0.0);
}

enum class Check { Any, NonNegative, Positive, Fraction };

/// Reads the cells of a parsed CSV, column by column, and records every problem with its line.
class RowReader {
public:
    RowReader(const CsvTable &csv, const std::string &where, std::vector<std::string> &errors,
              std::vector<std::string> required)
        : m_csv(csv), m_where(where), m_errors(errors) {
        std::string list;
        for (std::size_t i = 0; i < required.size(); ++i) {
            list += (i == 0 ? "" : ", ") + required[i];
        }
        for (const auto &name : required) {
            if (csv.column(name) < 0) {
                m_errors.push_back(where + ", line " + std::to_string(csv.header_line) +
                                   ": required column \"" + name +
                                   "\" is missing (the header must have " + list + ")");
                m_header_ok = false;
            }
        }
        if (csv.rows.empty() && m_header_ok) {
            m_errors.push_back(where + ": the table has no rows");
        }
    }

    bool header_ok() const { return m_header_ok; }
    bool has_column(const std::string &name) const { return m_csv.column(name) >= 0; }

    /// Start reading `row`; ok() is true until a cell of it fails a check.
    void begin(const CsvTable::Row &row) {
        m_row = &row;
        m_ok = true;
    }
    bool ok() const { return m_ok; }
    std::string at() const { return m_where + ", line " + std::to_string(m_row->line); }
    int line() const { return m_row->line; }

    void error(const std::string &why) {
        m_errors.push_back(at() + ": " + why);
        m_ok = false;
    }

    /// Trimmed cell; "" when the column or the cell is absent.
    std::string text(const std::string &col) const {
        const int c = m_csv.column(col);
        if (c < 0 || c >= static_cast<int>(m_row->cells.size())) {
            return {};
        }
        return trim(m_row->cells[static_cast<std::size_t>(c)]);
    }

    /// A non-empty key cell.
    std::string key(const std::string &col) {
        std::string v = text(col);
        if (v.empty()) {
            error(col + " is empty (a key is required)");
        }
        return v;
    }

    /// A finite number passing `check`.
    double number(const std::string &col, Check check) {
        const std::string v = text(col);
        if (v.empty()) {
            error(col + " is empty (a number is required)");
            return NaN;
        }
        return checked(col, v, check);
    }

    /// As number(), but an empty cell (or an absent column) gives NaN.
    double optional_number(const std::string &col, Check check) {
        const std::string v = text(col);
        return v.empty() ? NaN : checked(col, v, check);
    }

    /// A class bound: a finite number, or INF (upper) / -INF (lower).
    double bound(const std::string &col, bool is_upper) {
        const std::string v = text(col);
        const std::string u = upper(v);
        if (u == "INF" || u == "+INF") {
            if (!is_upper) {
                error(col + " \"" + v + "\" cannot be INF (a lower bound may be -INF)");
                return NaN;
            }
            return INF;
        }
        if (u == "-INF") {
            if (is_upper) {
                error(col + " \"" + v + "\" cannot be -INF (an upper bound may be INF)");
                return NaN;
            }
            return -INF;
        }
        if (v.empty()) {
            error(col + " is empty (a bound is required; write INF or -INF for none)");
            return NaN;
        }
        double d = 0.0;
        if (!parse_number(v, d)) {
            error(col + " \"" + v + "\" is not a number, INF or -INF");
            return NaN;
        }
        return d;
    }

    /// Lower and upper bounds of a class; checks lower < upper and, for `non_negative`
    /// quantities, lower >= 0.
    void interval(const std::string &lo_col, const std::string &hi_col, bool non_negative,
                  double &lo, double &hi) {
        lo = bound(lo_col, false);
        hi = bound(hi_col, true);
        if (std::isnan(lo) || std::isnan(hi)) {
            return;
        }
        if (non_negative && lo < 0.0) {
            error(lo_col + " " + text(lo_col) + " is negative (the quantity is >= 0)");
        } else if (!(lo < hi)) {
            error(hi_col + " " + text(hi_col) + " is not above " + lo_col + " " + text(lo_col) +
                  " (an empty class)");
        }
    }

    /// `source` and `status`: both non-empty, status from the vocabulary.
    RowProvenance provenance() {
        RowProvenance p;
        p.line = m_row->line;
        p.source = text("source");
        p.status = text("status");
        if (p.source.empty()) {
            error("source is empty (every row must cite where its values come from)");
        }
        check_status("status", p.status);
        return p;
    }

    void check_status(const std::string &col, const std::string &status) {
        static const char *known[] = {"V", "V2", "V2-single", "V2-conflict", "V2-weak", "U"};
        if (status.empty()) {
            error(col + " is empty (every row needs one of V, V2, V2-single, V2-conflict, "
                        "V2-weak, U, PLACEHOLDER)");
            return;
        }
        if (is_unverified(status)) {
            return;
        }
        for (const char *k : known) {
            if (status == k) {
                return;
            }
        }
        error(col + " \"" + status +
              "\" is not one of V, V2, V2-single, V2-conflict, V2-weak, U, PLACEHOLDER");
    }

private:
    double checked(const std::string &col, const std::string &v, Check check) {
        double d = 0.0;
        if (!parse_number(v, d)) {
            error(col + " \"" + v + "\" is not a finite number");
            return NaN;
        }
        switch (check) {
        case Check::Any:
            break;
        case Check::NonNegative:
            if (d < 0.0) {
                error(col + " " + v + " is negative (it must be >= 0)");
            }
            break;
        case Check::Positive:
            if (!(d > 0.0)) {
                error(col + " " + v + " is not positive (it must be > 0)");
            }
            break;
        case Check::Fraction:
            if (!(d > 0.0 && d <= 1.0)) {
                error(col + " " + v + " is not in (0, 1] (a carbon fraction)");
            }
            break;
        }
        return d;
    }

    const CsvTable &m_csv;
    const std::string &m_where;
    std::vector<std::string> &m_errors;
    const CsvTable::Row *m_row = nullptr;
    bool m_header_ok = true;
    bool m_ok = true;
};

/// Parse CSV text; a syntax error is appended to `errors` and gives nullopt-like empty table.
bool parse(const std::string &text, const std::string &where, std::vector<std::string> &errors,
           CsvTable &csv) {
    try {
        csv = parse_csv(text, where);
        return true;
    } catch (const ModelError &e) {
        errors.emplace_back(e.what());
        return false;
    }
}

/// Report rows whose key (as given by `key_of`) repeats an earlier row's, and drop them.
template <class Row, class KeyOf, class Describe>
void drop_duplicates(std::vector<Row> &rows, const std::string &where,
                     std::vector<std::string> &errors, KeyOf key_of, Describe describe) {
    using Key = decltype(key_of(rows.front()));
    std::map<Key, int> seen;
    std::vector<Row> kept;
    kept.reserve(rows.size());
    for (auto &r : rows) {
        auto [pos, fresh] = seen.emplace(key_of(r), r.line);
        if (!fresh) {
            errors.push_back(where + ", line " + std::to_string(r.line) + ": " + describe(r) +
                             " is listed twice (also line " + std::to_string(pos->second) + ")");
            continue;
        }
        kept.push_back(std::move(r));
    }
    rows = std::move(kept);
}

/// Sort classed rows by (key1, key2, lower bound), check that the classes of a group do not
/// overlap, and build the groups.
template <class Row, class Keys, class Lower, class Upper>
std::vector<ClassGroup> build_groups(std::vector<Row> &rows, const std::string &where,
                                     std::vector<std::string> &errors, const std::string &what,
                                     Keys keys, Lower lower, Upper upper) {
    std::stable_sort(rows.begin(), rows.end(), [&](const Row &a, const Row &b) {
        return std::make_tuple(keys(a).first, keys(a).second, lower(a)) <
               std::make_tuple(keys(b).first, keys(b).second, lower(b));
    });
    std::vector<ClassGroup> groups;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto k = keys(rows[i]);
        if (groups.empty() || groups.back().key1 != k.first || groups.back().key2 != k.second) {
            groups.push_back({k.first, k.second, i, i + 1});
        } else {
            groups.back().end = i + 1;
        }
    }
    for (const auto &g : groups) {
        for (std::size_t i = g.begin; i < g.end; ++i) {
            for (std::size_t j = g.begin; j < i; ++j) {
                if (intervals_overlap(lower(rows[i]), upper(rows[i]), lower(rows[j]),
                                      upper(rows[j]))) {
                    const Row &late = rows[i].line > rows[j].line ? rows[i] : rows[j];
                    const Row &early = rows[i].line > rows[j].line ? rows[j] : rows[i];
                    errors.push_back(where + ", line " + std::to_string(late.line) + ": " + what +
                                     " class " + interval_text(lower(late), upper(late)) + " of " +
                                     g.key1 + "/" + g.key2 + " overlaps line " +
                                     std::to_string(early.line) + " " +
                                     interval_text(lower(early), upper(early)));
                }
            }
        }
    }
    return groups;
}

int find_group(const std::vector<ClassGroup> &groups, std::string_view k1,
               std::string_view k2) noexcept {
    const auto it = std::lower_bound(groups.begin(), groups.end(), std::make_pair(k1, k2),
                                     [](const ClassGroup &g, const auto &k) {
                                         return std::make_pair(std::string_view(g.key1),
                                                               std::string_view(g.key2)) < k;
                                     });
    if (it == groups.end() || it->key1 != k1 || it->key2 != k2) {
        return -1;
    }
    return static_cast<int>(it - groups.begin());
}

/// Binary search of rows sorted by `key_of` (a tuple of string_views).
template <class Row, class KeyOf, class Key>
const Row *find_sorted(const std::vector<Row> &rows, KeyOf key_of, const Key &key) noexcept {
    const auto it = std::lower_bound(rows.begin(), rows.end(), key,
                                     [&](const Row &r, const Key &k) { return key_of(r) < k; });
    if (it == rows.end() || key_of(*it) != key) {
        return nullptr;
    }
    return &*it;
}

} // namespace

bool is_unverified(const std::string &status) {
    return is_unverified_status(status); // one rule for the project (models/pools_table.hpp)
}

// ---------------------------------------------------------------------------------------------
// China CBEF

namespace {
auto cbef_key(const CbefRow &r) { return std::make_tuple(std::string_view(r.forest_type)); }
} // namespace

const CbefRow *CbefTable::find(std::string_view forest_type) const noexcept {
    return find_sorted(rows, cbef_key, std::make_tuple(forest_type));
}

CbefTable parse_cbef_table(const std::string &text, const std::string &where,
                           std::vector<std::string> &errors) {
    CbefTable table;
    CsvTable csv;
    if (!parse(text, where, errors, csv)) {
        return table;
    }
    RowReader rd(csv, where, errors,
                 {"forest_type", "forest_type_zh", "forest_type_en", "a_t_per_m3", "b_t_per_ha",
                  "carbon_fraction", "source", "status"});
    if (!rd.header_ok()) {
        return table;
    }
    for (const auto &row : csv.rows) {
        rd.begin(row);
        CbefRow r;
        static_cast<RowProvenance &>(r) = rd.provenance();
        r.forest_type = rd.key("forest_type");
        r.forest_type_zh = rd.text("forest_type_zh");
        r.forest_type_en = rd.text("forest_type_en");
        r.a_t_per_m3 = rd.number("a_t_per_m3", Check::Positive);
        r.b_t_per_ha = rd.number("b_t_per_ha", Check::Any);
        r.carbon_fraction = rd.number("carbon_fraction", Check::Fraction);
        if (rd.ok()) {
            table.rows.push_back(std::move(r));
        }
    }
    drop_duplicates(
        table.rows, where, errors, [](const CbefRow &r) { return r.forest_type; },
        [](const CbefRow &r) { return "forest_type \"" + r.forest_type + "\""; });
    std::sort(table.rows.begin(), table.rows.end(),
              [](const CbefRow &a, const CbefRow &b) { return a.forest_type < b.forest_type; });
    return table;
}

// ---------------------------------------------------------------------------------------------
// IPCC BCEF

int BcefTable::group(std::string_view climate_domain, std::string_view forest_type) const noexcept {
    return find_group(groups, climate_domain, forest_type);
}

const BcefRow *BcefTable::find(int g, double volume_m3_per_ha) const noexcept {
    if (g < 0 || g >= static_cast<int>(groups.size())) {
        return nullptr;
    }
    const ClassGroup &grp = groups[static_cast<std::size_t>(g)];
    for (std::size_t i = grp.begin; i < grp.end; ++i) {
        if (in_class(volume_m3_per_ha, rows[i].gs_lower_m3_per_ha, rows[i].gs_upper_m3_per_ha)) {
            return &rows[i];
        }
    }
    return nullptr;
}

const BcefRow *BcefTable::find(std::string_view climate_domain, std::string_view forest_type,
                               double volume_m3_per_ha) const noexcept {
    return find(group(climate_domain, forest_type), volume_m3_per_ha);
}

double BcefTable::bcef_s(std::string_view climate_domain, std::string_view forest_type,
                         double volume_m3_per_ha, bool &found) const noexcept {
    const BcefRow *r = find(climate_domain, forest_type, volume_m3_per_ha);
    found = r != nullptr;
    return r ? r->bcef_s : 0.0;
}

double BcefTable::bcef_i(std::string_view climate_domain, std::string_view forest_type,
                         double volume_m3_per_ha, bool &found) const noexcept {
    const BcefRow *r = find(climate_domain, forest_type, volume_m3_per_ha);
    found = r != nullptr;
    return r ? r->bcef_i : 0.0;
}

double BcefTable::bcef_r(std::string_view climate_domain, std::string_view forest_type,
                         double volume_m3_per_ha, bool &found) const noexcept {
    const BcefRow *r = find(climate_domain, forest_type, volume_m3_per_ha);
    found = r != nullptr;
    return r ? r->bcef_r : 0.0;
}

BcefTable parse_bcef_table(const std::string &text, const std::string &where,
                           std::vector<std::string> &errors) {
    BcefTable table;
    CsvTable csv;
    if (!parse(text, where, errors, csv)) {
        return table;
    }
    RowReader rd(csv, where, errors,
                 {"climate_domain", "forest_type", "gs_lower_m3_per_ha", "gs_upper_m3_per_ha",
                  "bcef_s", "bcef_i", "bcef_r", "source", "status"});
    if (!rd.header_ok()) {
        return table;
    }
    for (const auto &row : csv.rows) {
        rd.begin(row);
        BcefRow r;
        static_cast<RowProvenance &>(r) = rd.provenance();
        r.climate_domain = rd.key("climate_domain");
        r.forest_type = rd.key("forest_type");
        rd.interval("gs_lower_m3_per_ha", "gs_upper_m3_per_ha", true, r.gs_lower_m3_per_ha,
                    r.gs_upper_m3_per_ha);
        r.bcef_s = rd.number("bcef_s", Check::Positive);
        r.bcef_i = rd.number("bcef_i", Check::Positive);
        r.bcef_r = rd.number("bcef_r", Check::Positive);
        if (rd.ok()) {
            table.rows.push_back(std::move(r));
        }
    }
    table.groups = build_groups(
        table.rows, where, errors, "growing-stock",
        [](const BcefRow &r) { return std::make_pair(r.climate_domain, r.forest_type); },
        [](const BcefRow &r) { return r.gs_lower_m3_per_ha; },
        [](const BcefRow &r) { return r.gs_upper_m3_per_ha; });
    return table;
}

// ---------------------------------------------------------------------------------------------
// IPCC root:shoot

int RootShootTable::group(std::string_view climate_zone,
                          std::string_view forest_type) const noexcept {
    return find_group(groups, climate_zone, forest_type);
}

const RootShootRow *RootShootTable::find(int g, double agb_t_dm_per_ha) const noexcept {
    if (g < 0 || g >= static_cast<int>(groups.size())) {
        return nullptr;
    }
    const ClassGroup &grp = groups[static_cast<std::size_t>(g)];
    for (std::size_t i = grp.begin; i < grp.end; ++i) {
        if (in_class(agb_t_dm_per_ha, rows[i].agb_lower_t_per_ha, rows[i].agb_upper_t_per_ha)) {
            return &rows[i];
        }
    }
    return nullptr;
}

const RootShootRow *RootShootTable::find(std::string_view climate_zone,
                                         std::string_view forest_type,
                                         double agb_t_dm_per_ha) const noexcept {
    return find(group(climate_zone, forest_type), agb_t_dm_per_ha);
}

double RootShootTable::ratio(std::string_view climate_zone, std::string_view forest_type,
                             double agb_t_dm_per_ha, bool &found) const noexcept {
    const RootShootRow *r = find(climate_zone, forest_type, agb_t_dm_per_ha);
    found = r != nullptr;
    return r ? r->ratio : 0.0;
}

RootShootTable parse_root_shoot_table(const std::string &text, const std::string &where,
                                      std::vector<std::string> &errors) {
    RootShootTable table;
    CsvTable csv;
    if (!parse(text, where, errors, csv)) {
        return table;
    }
    RowReader rd(csv, where, errors,
                 {"climate_zone", "forest_type", "agb_lower_t_per_ha", "agb_upper_t_per_ha",
                  "ratio", "source", "status"});
    if (!rd.header_ok()) {
        return table;
    }
    for (const auto &row : csv.rows) {
        rd.begin(row);
        RootShootRow r;
        static_cast<RowProvenance &>(r) = rd.provenance();
        r.climate_zone = rd.key("climate_zone");
        r.forest_type = rd.key("forest_type");
        rd.interval("agb_lower_t_per_ha", "agb_upper_t_per_ha", true, r.agb_lower_t_per_ha,
                    r.agb_upper_t_per_ha);
        r.ratio = rd.number("ratio", Check::NonNegative);
        if (rd.ok()) {
            table.rows.push_back(std::move(r));
        }
    }
    table.groups = build_groups(
        table.rows, where, errors, "AGB",
        [](const RootShootRow &r) { return std::make_pair(r.climate_zone, r.forest_type); },
        [](const RootShootRow &r) { return r.agb_lower_t_per_ha; },
        [](const RootShootRow &r) { return r.agb_upper_t_per_ha; });
    return table;
}

// ---------------------------------------------------------------------------------------------
// Dead organic matter fractions

const DomRow *DomTable::find(std::string_view climate_domain, double elevation_m,
                             double precip_mm_per_yr) const noexcept {
    auto it = std::lower_bound(
        rows.begin(), rows.end(), climate_domain,
        [](const DomRow &r, std::string_view d) { return std::string_view(r.climate_domain) < d; });
    for (; it != rows.end() && it->climate_domain == climate_domain; ++it) {
        if (in_class(elevation_m, it->elevation_lower_m, it->elevation_upper_m) &&
            in_class(precip_mm_per_yr, it->precip_lower_mm_per_yr, it->precip_upper_mm_per_yr)) {
            return &*it;
        }
    }
    return nullptr;
}

DomTable parse_dom_table(const std::string &text, const std::string &where,
                         std::vector<std::string> &errors) {
    DomTable table;
    CsvTable csv;
    if (!parse(text, where, errors, csv)) {
        return table;
    }
    RowReader rd(csv, where, errors,
                 {"climate_domain", "elevation_lower_m", "elevation_upper_m",
                  "precip_lower_mm_per_yr", "precip_upper_mm_per_yr", "deadwood_fraction_of_agb",
                  "litter_fraction_of_agb", "deadwood_carbon_fraction", "litter_carbon_fraction",
                  "source", "status"});
    if (!rd.header_ok()) {
        return table;
    }
    for (const auto &row : csv.rows) {
        rd.begin(row);
        DomRow r;
        static_cast<RowProvenance &>(r) = rd.provenance();
        r.climate_domain = rd.key("climate_domain");
        rd.interval("elevation_lower_m", "elevation_upper_m", false, r.elevation_lower_m,
                    r.elevation_upper_m);
        rd.interval("precip_lower_mm_per_yr", "precip_upper_mm_per_yr", true,
                    r.precip_lower_mm_per_yr, r.precip_upper_mm_per_yr);
        r.deadwood_fraction_of_agb = rd.number("deadwood_fraction_of_agb", Check::NonNegative);
        r.litter_fraction_of_agb = rd.number("litter_fraction_of_agb", Check::NonNegative);
        r.deadwood_carbon_fraction = rd.number("deadwood_carbon_fraction", Check::Fraction);
        r.litter_carbon_fraction = rd.number("litter_carbon_fraction", Check::Fraction);
        if (rd.ok()) {
            table.rows.push_back(std::move(r));
        }
    }
    std::stable_sort(table.rows.begin(), table.rows.end(), [](const DomRow &a, const DomRow &b) {
        return a.climate_domain < b.climate_domain;
    });
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const DomRow &a = table.rows[j]; // earlier line (stable sort)
            const DomRow &b = table.rows[i];
            if (a.climate_domain == b.climate_domain &&
                intervals_overlap(a.elevation_lower_m, a.elevation_upper_m, b.elevation_lower_m,
                                  b.elevation_upper_m) &&
                intervals_overlap(a.precip_lower_mm_per_yr, a.precip_upper_mm_per_yr,
                                  b.precip_lower_mm_per_yr, b.precip_upper_mm_per_yr)) {
                errors.push_back(where + ", line " + std::to_string(b.line) + ": elevation " +
                                 interval_text(b.elevation_lower_m, b.elevation_upper_m) +
                                 " m x precipitation " +
                                 interval_text(b.precip_lower_mm_per_yr, b.precip_upper_mm_per_yr) +
                                 " mm/yr of " + b.climate_domain + " overlaps line " +
                                 std::to_string(a.line));
            }
        }
    }
    return table;
}

// ---------------------------------------------------------------------------------------------
// SOC_REF

namespace {
auto soc_ref_key(const SocRefRow &r) {
    return std::make_tuple(std::string_view(r.climate_zone), std::string_view(r.soil_type));
}
} // namespace

const SocRefRow *SocRefTable::find(std::string_view climate_zone,
                                   std::string_view soil_type) const noexcept {
    return find_sorted(rows, soc_ref_key, std::make_tuple(climate_zone, soil_type));
}

SocRefTable parse_soc_ref_table(const std::string &text, const std::string &where,
                                std::vector<std::string> &errors) {
    SocRefTable table;
    CsvTable csv;
    if (!parse(text, where, errors, csv)) {
        return table;
    }
    RowReader rd(
        csv, where, errors,
        {"climate_zone", "soil_type", "soc_ref_t_c_per_ha", "uncertainty_pct", "source", "status"});
    if (!rd.header_ok()) {
        return table;
    }
    for (const auto &row : csv.rows) {
        rd.begin(row);
        SocRefRow r;
        static_cast<RowProvenance &>(r) = rd.provenance();
        r.climate_zone = rd.key("climate_zone");
        r.soil_type = rd.key("soil_type");
        r.soc_ref_t_c_per_ha = rd.number("soc_ref_t_c_per_ha", Check::NonNegative);
        r.uncertainty_pct = rd.optional_number("uncertainty_pct", Check::NonNegative);
        if (rd.ok()) {
            table.rows.push_back(std::move(r));
        }
    }
    drop_duplicates(
        table.rows, where, errors,
        [](const SocRefRow &r) { return std::make_pair(r.climate_zone, r.soil_type); },
        [](const SocRefRow &r) {
            return "climate_zone \"" + r.climate_zone + "\" with soil_type \"" + r.soil_type + "\"";
        });
    std::sort(table.rows.begin(), table.rows.end(), [](const SocRefRow &a, const SocRefRow &b) {
        return soc_ref_key(a) < soc_ref_key(b);
    });
    return table;
}

// ---------------------------------------------------------------------------------------------
// SOC stock-change factors

namespace {
auto soc_factor_key(const SocFactorRow &r) {
    return std::make_tuple(std::string_view(r.land_use), std::string_view(r.factor),
                           std::string_view(r.level), std::string_view(r.climate_zone));
}
} // namespace

const SocFactorRow *SocFactorTable::find(std::string_view land_use, std::string_view factor,
                                         std::string_view level,
                                         std::string_view climate_zone) const noexcept {
    if (const SocFactorRow *r = find_sorted(
            rows, soc_factor_key, std::make_tuple(land_use, factor, level, climate_zone))) {
        return r;
    }
    return find_sorted(rows, soc_factor_key,
                       std::make_tuple(land_use, factor, level, std::string_view("all")));
}

double SocFactorTable::factor(std::string_view land_use, std::string_view factor,
                              std::string_view level, std::string_view climate_zone,
                              bool &found) const noexcept {
    const SocFactorRow *r = find(land_use, factor, level, climate_zone);
    found = r != nullptr;
    return r ? r->value : 0.0;
}

SocFactorTable parse_soc_factor_table(const std::string &text, const std::string &where,
                                      std::vector<std::string> &errors) {
    SocFactorTable table;
    CsvTable csv;
    if (!parse(text, where, errors, csv)) {
        return table;
    }
    RowReader rd(
        csv, where, errors,
        {"land_use", "factor", "level", "climate_zone", "value", "error_pct", "source", "status"});
    if (!rd.header_ok()) {
        return table;
    }
    for (const auto &row : csv.rows) {
        rd.begin(row);
        SocFactorRow r;
        static_cast<RowProvenance &>(r) = rd.provenance();
        r.land_use = rd.key("land_use");
        r.factor = rd.key("factor");
        if (!r.factor.empty() && r.factor != "F_LU" && r.factor != "F_MG" && r.factor != "F_I") {
            rd.error("factor \"" + r.factor + "\" is not one of F_LU, F_MG, F_I");
        }
        r.level = rd.key("level");
        r.climate_zone = rd.key("climate_zone");
        r.value = rd.number("value", Check::Positive);
        r.error_pct = rd.optional_number("error_pct", Check::NonNegative);
        r.notes = rd.text("notes");
        if (rd.ok()) {
            table.rows.push_back(std::move(r));
        }
    }
    drop_duplicates(
        table.rows, where, errors,
        [](const SocFactorRow &r) {
            return std::make_tuple(r.land_use, r.factor, r.level, r.climate_zone);
        },
        [](const SocFactorRow &r) {
            return r.land_use + " " + r.factor + " \"" + r.level + "\" in climate_zone \"" +
                   r.climate_zone + "\"";
        });
    std::sort(table.rows.begin(), table.rows.end(),
              [](const SocFactorRow &a, const SocFactorRow &b) {
                  return soc_factor_key(a) < soc_factor_key(b);
              });
    return table;
}

// ---------------------------------------------------------------------------------------------
// Climate-zone codes

const ClimateZoneCodeRow *ClimateZoneCodeTable::find(int code) const noexcept {
    const auto it = std::lower_bound(rows.begin(), rows.end(), code,
                                     [](const ClimateZoneCodeRow &r, int c) { return r.code < c; });
    return it != rows.end() && it->code == code ? &*it : nullptr;
}

ClimateZoneCodeTable parse_climate_zone_code_table(const std::string &text,
                                                   const std::string &where,
                                                   std::vector<std::string> &errors) {
    ClimateZoneCodeTable table;
    CsvTable csv;
    if (!parse(text, where, errors, csv)) {
        return table;
    }
    RowReader rd(csv, where, errors, {"code", "climate_zone", "source", "status"});
    if (!rd.header_ok()) {
        return table;
    }
    for (const auto &row : csv.rows) {
        rd.begin(row);
        ClimateZoneCodeRow r;
        static_cast<RowProvenance &>(r) = rd.provenance();
        const std::string code = rd.text("code");
        double d = 0.0;
        if (!parse_number(code, d) || d != std::floor(d) || d < std::numeric_limits<int>::min() ||
            d > std::numeric_limits<int>::max()) {
            rd.error("code \"" + code + "\" is not an integer");
        } else {
            r.code = static_cast<int>(d);
        }
        r.climate_zone = rd.key("climate_zone");
        if (rd.ok()) {
            table.rows.push_back(std::move(r));
        }
    }
    drop_duplicates(
        table.rows, where, errors, [](const ClimateZoneCodeRow &r) { return r.code; },
        [](const ClimateZoneCodeRow &r) { return "code " + std::to_string(r.code); });
    std::sort(
        table.rows.begin(), table.rows.end(),
        [](const ClimateZoneCodeRow &a, const ClimateZoneCodeRow &b) { return a.code < b.code; });
    return table;
}

// ---------------------------------------------------------------------------------------------
// Tier 1 growth

namespace {
auto growth_key(const Tier1GrowthRow &r) {
    return std::make_tuple(std::string_view(r.ecozone), std::string_view(r.continent),
                           std::string_view(r.forest_type));
}
} // namespace

const Tier1GrowthRow *Tier1GrowthTable::find(std::string_view ecozone, std::string_view continent,
                                             std::string_view forest_type) const noexcept {
    return find_sorted(rows, growth_key, std::make_tuple(ecozone, continent, forest_type));
}

Tier1GrowthTable parse_tier1_growth_table(const std::string &text, const std::string &where,
                                          std::vector<std::string> &errors) {
    Tier1GrowthTable table;
    CsvTable csv;
    if (!parse(text, where, errors, csv)) {
        return table;
    }
    RowReader rd(csv, where, errors, {"ecozone",          "continent",
                                      "forest_type",      "r0_t_dm_per_ha_yr",
                                      "r0_low",           "r0_high",
                                      "k20_t_dm_per_ha",  "k20_low",
                                      "k20_high",         "r20_t_dm_per_ha_yr",
                                      "r20_low",          "r20_high",
                                      "kmax_t_dm_per_ha", "kmax_low",
                                      "kmax_high",        "root_shoot_break_t_dm_per_ha",
                                      "rs_young",         "rs_old",
                                      "source",           "status"});
    if (!rd.header_ok()) {
        return table;
    }
    const bool has_rs_status = rd.has_column("rs_status");
    for (const auto &row : csv.rows) {
        rd.begin(row);
        Tier1GrowthRow r;
        static_cast<RowProvenance &>(r) = rd.provenance();
        r.ecozone = rd.key("ecozone");
        r.continent = rd.key("continent");
        r.forest_type = rd.key("forest_type");
        struct Triple {
            const char *central;
            const char *low;
            const char *high;
            double *c;
            double *l;
            double *h;
        };
        const Triple triples[] = {
            {"r0_t_dm_per_ha_yr", "r0_low", "r0_high", &r.r0_t_dm_per_ha_yr, &r.r0_low, &r.r0_high},
            {"k20_t_dm_per_ha", "k20_low", "k20_high", &r.k20_t_dm_per_ha, &r.k20_low, &r.k20_high},
            {"r20_t_dm_per_ha_yr", "r20_low", "r20_high", &r.r20_t_dm_per_ha_yr, &r.r20_low,
             &r.r20_high},
            {"kmax_t_dm_per_ha", "kmax_low", "kmax_high", &r.kmax_t_dm_per_ha, &r.kmax_low,
             &r.kmax_high},
        };
        const bool unverified = is_unverified(r.status);
        for (const auto &t : triples) {
            *t.c = rd.number(t.central, Check::NonNegative);
            *t.l = rd.optional_number(t.low, Check::NonNegative);
            *t.h = rd.optional_number(t.high, Check::NonNegative);
            if (!unverified && (*t.l > *t.c || *t.c > *t.h)) {
                rd.error(std::string(t.central) + " " + rd.text(t.central) + " is outside [" +
                         t.low + " " + rd.text(t.low) + ", " + t.high + " " + rd.text(t.high) +
                         "] (columns shifted? a row that cannot be checked must have status U)");
            }
        }
        r.root_shoot_break_t_dm_per_ha =
            rd.number("root_shoot_break_t_dm_per_ha", Check::NonNegative);
        r.rs_young = rd.number("rs_young", Check::NonNegative);
        r.rs_old = rd.number("rs_old", Check::NonNegative);
        if (has_rs_status) {
            r.rs_status = rd.text("rs_status");
            rd.check_status("rs_status", r.rs_status);
        } else {
            r.rs_status = r.status;
        }
        if (rd.has_column("rate_uncertainty_type")) {
            r.rate_uncertainty_type = rd.text("rate_uncertainty_type");
        }
        if (rd.has_column("cap_uncertainty_type")) {
            r.cap_uncertainty_type = rd.text("cap_uncertainty_type");
        }
        if (rd.ok()) {
            table.rows.push_back(std::move(r));
        }
    }
    drop_duplicates(
        table.rows, where, errors,
        [](const Tier1GrowthRow &r) {
            return std::make_tuple(r.ecozone, r.continent, r.forest_type);
        },
        [](const Tier1GrowthRow &r) {
            return "ecozone \"" + r.ecozone + "\", continent \"" + r.continent +
                   "\", forest_type \"" + r.forest_type + "\"";
        });
    std::sort(table.rows.begin(), table.rows.end(),
              [](const Tier1GrowthRow &a, const Tier1GrowthRow &b) {
                  return growth_key(a) < growth_key(b);
              });
    return table;
}

// ---------------------------------------------------------------------------------------------
// CASA vegetation types

int CasaVegetationTable::find(const std::string &casa_type) const noexcept {
    const auto it = std::lower_bound(
        rows.begin(), rows.end(), casa_type,
        [](const CasaVegetationRow &r, const std::string &k) { return r.casa_type < k; });
    return it != rows.end() && it->casa_type == casa_type ? static_cast<int>(it - rows.begin())
                                                          : -1;
}

std::string CasaVegetationTable::keys() const {
    std::string s;
    for (const auto &r : rows) {
        s += (s.empty() ? "" : ", ") + r.casa_type;
    }
    return s;
}

CasaVegetationTable parse_casa_table(const std::string &text, const std::string &where,
                                     std::vector<std::string> &errors) {
    CasaVegetationTable table;
    CsvTable csv;
    if (!parse(text, where, errors, csv)) {
        return table;
    }
    RowReader rd(csv, where, errors,
                 {"casa_type", "vegetation_type_zh", "vegetation_type_en", "ndvi_min", "ndvi_max",
                  "sr_min", "sr_max", "epsilon_max_g_c_per_mj", "source", "status"});
    if (!rd.header_ok()) {
        return table;
    }
    for (const auto &row : csv.rows) {
        rd.begin(row);
        CasaVegetationRow r;
        static_cast<RowProvenance &>(r) = rd.provenance();
        r.casa_type = rd.key("casa_type");
        r.vegetation_type_zh = rd.text("vegetation_type_zh");
        r.vegetation_type_en = rd.text("vegetation_type_en");
        CasaParameters &p = r.parameters;
        p.ndvi_min = rd.number("ndvi_min", Check::Any);
        p.ndvi_max = rd.number("ndvi_max", Check::Any);
        p.sr_min = rd.number("sr_min", Check::Positive);
        p.sr_max = rd.number("sr_max", Check::Positive);
        p.epsilon_max_g_c_per_mj = rd.number("epsilon_max_g_c_per_mj", Check::Positive);
        if (!rd.ok()) {
            continue;
        }
        // FPAR_NDVI and FPAR_SR divide by max - min (science.md §5.1); NDVI lies in [-1, 1] and
        // NDVI = 1 has no finite SR.
        if (!(p.ndvi_min >= -1.0 && p.ndvi_min < p.ndvi_max && p.ndvi_max < 1.0)) {
            rd.error("ndvi_min " + rd.text("ndvi_min") + " and ndvi_max " + rd.text("ndvi_max") +
                     " must satisfy -1 <= ndvi_min < ndvi_max < 1");
        } else if (!(p.sr_min < p.sr_max)) {
            rd.error("sr_max " + rd.text("sr_max") + " is not above sr_min " + rd.text("sr_min"));
        }
        if (rd.ok()) {
            table.rows.push_back(std::move(r));
        }
    }
    drop_duplicates(
        table.rows, where, errors, [](const CasaVegetationRow &r) { return r.casa_type; },
        [](const CasaVegetationRow &r) { return "casa_type \"" + r.casa_type + "\""; });
    std::sort(table.rows.begin(), table.rows.end(),
              [](const CasaVegetationRow &a, const CasaVegetationRow &b) {
                  return a.casa_type < b.casa_type;
              });
    return table;
}

} // namespace cs::models
