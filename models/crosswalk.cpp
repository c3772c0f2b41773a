// Land-cover crosswalk parsing, the built-in crosswalks (embedded at build time) and look-ups.
#include "models/crosswalk.hpp"

#include "models/pools_table.hpp"

#include "models/csv.hpp"
#include "models/model_error.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <utility>

// Defined in the generated ${CMAKE_BINARY_DIR}/generated/models/builtin_crosswalks.cpp (see
// CMakeLists.txt): one entry per configs/crosswalks/<name>.csv, names ascending.
namespace cs::models::generated {
extern const std::size_t BUILTIN_CROSSWALK_COUNT;
extern const char *const BUILTIN_CROSSWALK_NAMES[];
extern const char *const BUILTIN_CROSSWALK_FILES[];
extern const char *const BUILTIN_CROSSWALK_CSV[];
} // namespace cs::models::generated

namespace cs::models {

namespace {

constexpr int64_t DENSE_LIMIT = int64_t{1} << 20;
constexpr IpccCategory CATEGORIES[] = {IpccCategory::forest,     IpccCategory::cropland,
                                       IpccCategory::grassland,  IpccCategory::wetland,
                                       IpccCategory::settlement, IpccCategory::other_land};
constexpr LeafType LEAF_TYPES[] = {LeafType::broadleaf, LeafType::needleleaf, LeafType::mixed,
                                   LeafType::none, LeafType::unknown};
const char *const CATEGORY_LIST = "forest, cropland, grassland, wetland, settlement, other_land";
const char *const LEAF_TYPE_LIST = "broadleaf, needleleaf, mixed, none, unknown";

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

std::string lower(std::string s) {
    for (auto &c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

/// Optimal-string-alignment distance (insertions, deletions, substitutions and adjacent
/// transpositions count one edit each), for "did you mean" suggestions.
std::size_t edit_distance(const std::string &a, const std::string &b) {
    const std::size_t n = b.size();
    std::vector<std::size_t> prev2(n + 1);
    std::vector<std::size_t> prev(n + 1);
    std::vector<std::size_t> cur(n + 1);
    for (std::size_t j = 0; j <= n; ++j) {
        prev[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= n; ++j) {
            const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                cur[j] = std::min(cur[j], prev2[j - 2] + 1);
            }
        }
        prev2.swap(prev);
        prev.swap(cur);
    }
    return prev[n];
}

/// The candidate closest to `word` (case-insensitive) within max(2, |word| / 3) edits, or "".
std::string closest_name(const std::string &word, const std::vector<std::string> &candidates) {
    const std::string w = lower(word);
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, w.size() / 3) + 1;
    for (const auto &c : candidates) {
        const std::size_t d = edit_distance(w, lower(c));
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

bool parse_category(const std::string &text, IpccCategory &out) {
    const std::string t = lower(trim(text));
    for (const auto c : CATEGORIES) {
        if (t == ipcc_category_name(c)) {
            out = c;
            return true;
        }
    }
    return false;
}

bool parse_leaf_type(const std::string &text, LeafType &out) {
    const std::string t = lower(trim(text));
    for (const auto l : LEAF_TYPES) {
        if (t == leaf_type_name(l)) {
            out = l;
            return true;
        }
    }
    return false;
}

} // namespace

const char *ipcc_category_name(IpccCategory c) {
    switch (c) {
    case IpccCategory::forest:
        return "forest";
    case IpccCategory::cropland:
        return "cropland";
    case IpccCategory::grassland:
        return "grassland";
    case IpccCategory::wetland:
        return "wetland";
    case IpccCategory::settlement:
        return "settlement";
    case IpccCategory::other_land:
        return "other_land";
    }
    return "unknown";
}

const char *leaf_type_name(LeafType t) {
    switch (t) {
    case LeafType::none:
        return "none";
    case LeafType::broadleaf:
        return "broadleaf";
    case LeafType::needleleaf:
        return "needleleaf";
    case LeafType::mixed:
        return "mixed";
    case LeafType::unknown:
        return "unknown";
    }
    return "unknown";
}

Crosswalk Crosswalk::parse(const std::string &csv_text, const std::string &where,
                           std::vector<std::string> &errors) {
    const std::string prefix = "invalid crosswalk: ";
    Crosswalk cw;
    cw.m_scheme = where;
    CsvTable csv;
    try {
        csv = parse_csv(csv_text, where);
    } catch (const ModelError &e) {
        errors.push_back(prefix + e.what());
        cw.build_index();
        return cw;
    }
    const int code_idx = csv.column("code");
    const int cat_idx = csv.column("ipcc_category");
    bool missing_column = false;
    const std::pair<const char *, int> required[] = {{"code", code_idx},
                                                     {"ipcc_category", cat_idx}};
    for (const auto &[name, idx] : required) {
        if (idx < 0) {
            errors.push_back(prefix + where + ", line " + std::to_string(csv.header_line) +
                             ": required column \"" + name +
                             "\" is missing (the header must have code and ipcc_category; "
                             "class_name, leaf_type, source and status are optional)");
            missing_column = true;
        }
    }
    if (missing_column) {
        cw.build_index();
        return cw;
    }
    const int name_idx = csv.column("class_name");
    const int leaf_idx = csv.column("leaf_type");
    const int source_idx = csv.column("source");
    const int status_idx = csv.column("status");

    std::map<int32_t, int> seen;
    for (const auto &row : csv.rows) {
        const std::string at = prefix + where + ", line " + std::to_string(row.line) + ": ";
        auto cell = [&](int c) -> std::string {
            return c >= 0 && c < static_cast<int>(row.cells.size())
                       ? row.cells[static_cast<std::size_t>(c)]
                       : std::string();
        };
        CrosswalkRow r;
        r.line = row.line;
        bool ok = true;

        double code = 0.0;
        if (!parse_number(cell(code_idx), code) || code != std::floor(code)) {
            errors.push_back(at + "code \"" + trim(cell(code_idx)) + "\" is not an integer");
            ok = false;
        } else if (code < std::numeric_limits<int32_t>::min() ||
                   code > std::numeric_limits<int32_t>::max()) {
            errors.push_back(at + "code " + trim(cell(code_idx)) +
                             " is outside the 32-bit integer range of land-cover rasters");
            ok = false;
        } else {
            r.code = static_cast<int32_t>(code);
        }

        const std::string cat_text = trim(cell(cat_idx));
        const bool cat_ok = parse_category(cat_text, r.category);
        if (!cat_ok) {
            errors.push_back(
                at + (cat_text.empty()
                          ? std::string("ipcc_category is empty (it must be one of ") +
                                CATEGORY_LIST + ")"
                          : "ipcc_category \"" + cat_text + "\" is not one of " + CATEGORY_LIST));
            ok = false;
        }

        const std::string leaf_text = trim(cell(leaf_idx));
        if (leaf_text.empty()) {
            r.leaf_type = r.category == IpccCategory::forest ? LeafType::unknown : LeafType::none;
        } else if (!parse_leaf_type(leaf_text, r.leaf_type)) {
            errors.push_back(at + "leaf_type \"" + leaf_text + "\" is not one of " +
                             LEAF_TYPE_LIST);
            ok = false;
        } else if (cat_ok && r.category == IpccCategory::forest && r.leaf_type == LeafType::none) {
            errors.push_back(at + "leaf_type \"" + leaf_text +
                             "\" does not fit ipcc_category forest (use broadleaf, needleleaf, "
                             "mixed or unknown, or leave it empty)");
            ok = false;
        } else if (cat_ok && r.category != IpccCategory::forest && r.leaf_type != LeafType::none) {
            errors.push_back(at + "leaf_type \"" + leaf_text + "\" is for forest rows only (" +
                             "ipcc_category is " + ipcc_category_name(r.category) +
                             ": use none or leave it empty)");
            ok = false;
        }

        r.class_name = trim(cell(name_idx));
        r.source = trim(cell(source_idx));
        r.status = trim(cell(status_idx));
        if (r.status.empty()) {
            r.status = "user";
        }
        if (!ok) {
            continue;
        }
        if (const auto [pos, fresh] = seen.emplace(r.code, row.line); !fresh) {
            errors.push_back(at + "code " + std::to_string(r.code) +
                             " is listed twice (also line " + std::to_string(pos->second) + ")");
            continue;
        }
        cw.m_rows.push_back(std::move(r));
    }
    if (csv.rows.empty()) {
        errors.push_back(prefix + where + ": the crosswalk has no rows");
    }
    std::sort(cw.m_rows.begin(), cw.m_rows.end(),
              [](const CrosswalkRow &a, const CrosswalkRow &b) { return a.code < b.code; });
    cw.build_index();
    return cw;
}

void Crosswalk::build_index() {
    m_dense_rows.clear();
    m_dense = true;
    m_min_code = 0;
    if (m_rows.empty()) {
        return;
    }
    const int64_t lo = m_rows.front().code;
    const int64_t hi = m_rows.back().code;
    m_min_code = lo;
    m_dense = hi - lo + 1 <= DENSE_LIMIT;
    if (!m_dense) {
        return;
    }
    m_dense_rows.assign(static_cast<std::size_t>(hi - lo + 1), -1);
    for (std::size_t r = 0; r < m_rows.size(); ++r) {
        m_dense_rows[static_cast<std::size_t>(m_rows[r].code - lo)] = static_cast<int32_t>(r);
    }
}

std::vector<std::string> Crosswalk::builtin_names() {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < generated::BUILTIN_CROSSWALK_COUNT; ++i) {
        names.emplace_back(generated::BUILTIN_CROSSWALK_NAMES[i]);
    }
    std::sort(names.begin(), names.end());
    return names;
}

Crosswalk Crosswalk::builtin(const std::string &scheme) {
    for (std::size_t i = 0; i < generated::BUILTIN_CROSSWALK_COUNT; ++i) {
        if (scheme == generated::BUILTIN_CROSSWALK_NAMES[i]) {
            return builtin(scheme, generated::BUILTIN_CROSSWALK_CSV[i],
                           generated::BUILTIN_CROSSWALK_FILES[i]);
        }
    }
    const std::vector<std::string> names = builtin_names();
    std::string list;
    for (const auto &n : names) {
        list += (list.empty() ? "" : ", ") + n;
    }
    const std::string hint = closest_name(scheme, names);
    throw ModelError("unknown crosswalk \"" + scheme +
                     "\": " + (hint.empty() ? std::string() : "did you mean \"" + hint + "\"? ") +
                     "available: " + list);
}

Crosswalk Crosswalk::builtin(const std::string &scheme, const std::string &csv_text,
                             const std::string &file) {
    std::vector<std::string> errors;
    Crosswalk cw = parse(csv_text, "built-in crosswalk " + scheme + " (" + file + ")", errors);
    if (!errors.empty()) {
        std::string all = errors.front();
        for (std::size_t e = 1; e < errors.size(); ++e) {
            all += "; " + errors[e];
        }
        throw ModelError(all);
    }
    cw.m_scheme = scheme;
    return cw;
}

const CrosswalkRow *Crosswalk::find(int32_t code) const {
    if (m_dense) {
        const int64_t k = static_cast<int64_t>(code) - m_min_code;
        if (k < 0 || k >= static_cast<int64_t>(m_dense_rows.size())) {
            return nullptr;
        }
        const int32_t r = m_dense_rows[static_cast<std::size_t>(k)];
        return r >= 0 ? &m_rows[static_cast<std::size_t>(r)] : nullptr;
    }
    const auto it =
        std::lower_bound(m_rows.begin(), m_rows.end(), code,
                         [](const CrosswalkRow &row, int32_t c) { return row.code < c; });
    return it != m_rows.end() && it->code == code ? &*it : nullptr;
}

std::vector<int32_t> Crosswalk::missing(const std::vector<int32_t> &codes) const {
    std::vector<int32_t> out;
    for (const int32_t c : codes) {
        if (find(c) == nullptr) {
            out.push_back(c);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string Crosswalk::missing_message(const std::string &label,
                                       const std::vector<int32_t> &codes) const {
    const std::vector<int32_t> absent = missing(codes);
    if (absent.empty()) {
        return {};
    }
    std::string msg = label + ": " + std::to_string(absent.size()) +
                      (absent.size() == 1 ? " class code is" : " class codes are") +
                      " not in crosswalk " + m_scheme + ": ";
    for (std::size_t i = 0; i < absent.size(); ++i) {
        msg += (i == 0 ? "" : ", ") + std::to_string(absent[i]);
    }
    return msg;
}

std::vector<const CrosswalkRow *> Crosswalk::unverified() const {
    std::vector<const CrosswalkRow *> out;
    for (const auto &r : m_rows) {
        if (is_unverified_status(r.status)) {
            out.push_back(&r);
        }
    }
    return out;
}

} // namespace cs::models
