// Land-cover crosswalks: class codes of a land-cover scheme -> IPCC land categories and leaf type.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// The six land-use categories of IPCC 2006 Vol. 4 Ch. 3 (§3.2).
enum class IpccCategory { forest, cropland, grassland, wetland, settlement, other_land };

/// Leaf type of a forest class: `none` for non-forest classes, `unknown` for forest classes whose
/// legend does not give it.
enum class LeafType { none, broadleaf, needleleaf, mixed, unknown };

/// The snake_case name of `c` ("forest", ..., "other_land"), as written in crosswalk files.
const char *ipcc_category_name(IpccCategory c);
/// The name of `t` ("none", "broadleaf", "needleleaf", "mixed", "unknown").
const char *leaf_type_name(LeafType t);

/// One class of a crosswalk.
struct CrosswalkRow {
    int32_t code = 0;
    std::string class_name; ///< the legend's class name (may be empty in a custom crosswalk)
    IpccCategory category = IpccCategory::other_land;
    LeafType leaf_type = LeafType::none;
    std::string source; ///< where the code comes from and why the category was chosen
    std::string status; ///< V, V2, U (see configs/crosswalks/README.md) or "user"
    int line = 0;       ///< 1-based line in the CSV, for messages
};

/// A land-cover crosswalk: the IPCC category and leaf type of every class code of one scheme.
/// Immutable once built; const member functions are safe to call from several threads.
class Crosswalk {
public:
    /// Parse a crosswalk CSV. Columns (names case-insensitive, any order, other columns ignored):
    /// `code` (integer, unique) and `ipcc_category` (forest, cropland, grassland, wetland,
    /// settlement, other_land) are required; `class_name`, `leaf_type`, `source` and `status` are
    /// optional. An empty or absent leaf_type means unknown for forest rows and none otherwise;
    /// forest rows take broadleaf, needleleaf, mixed or unknown, other rows only none. An empty or
    /// absent status means "user". Every problem is appended to `errors` as
    /// "invalid crosswalk: <where>, line N: <why>" (missing required column, non-integer or
    /// duplicate code, unknown category or leaf type, leaf type not fitting the category, no
    /// rows); the result is usable only when nothing was appended. `where` names the input, e.g.
    /// "crosswalk (my.csv)", and becomes scheme(). Never throws.
    static Crosswalk parse(const std::string &csv_text, const std::string &where,
                           std::vector<std::string> &errors);

    /// The built-in crosswalk `scheme` (one of builtin_names()), embedded in the library at build
    /// time from configs/crosswalks/<scheme>.csv. Throws ModelError when the name is unknown:
    /// `unknown crosswalk "x": did you mean "y"? available: clcd, ...` (the suggestion only when
    /// a name is close), or when an embedded table does not parse (a build defect).
    static Crosswalk builtin(const std::string &scheme);

    /// The built-in crosswalk `scheme` from `csv_text`, read from `file` (the installed copy in
    /// the data directory, see builtin_tables.hpp). Throws ModelError with every problem of the
    /// table, each naming `file` and the line, when it does not parse.
    static Crosswalk builtin(const std::string &scheme, const std::string &csv_text,
                             const std::string &file);

    /// Names of the built-in crosswalks, ascending.
    static std::vector<std::string> builtin_names();

    /// The built-in scheme name, or the `where` given to parse().
    const std::string &scheme() const { return m_scheme; }
    /// The rows, ascending by code.
    const std::vector<CrosswalkRow> &rows() const { return m_rows; }

    /// The row of `code`, or nullptr. O(1) when the codes span at most 2^20 values (a dense index,
    /// as in stocks.lookup), else a binary search.
    const CrosswalkRow *find(int32_t code) const;

    /// The distinct codes of `codes` that have no row, ascending.
    std::vector<int32_t> missing(const std::vector<int32_t> &codes) const;

    /// A ready message for the codes of `codes` that have no row, e.g.
    /// "land_cover/2020 (lc.tif, band 1): 3 class codes are not in crosswalk clcd: 12, 200, 201";
    /// empty when every code has a row.
    std::string missing_message(const std::string &label, const std::vector<int32_t> &codes) const;

    /// Rows whose status marks them unverified: "U", a status starting with "U" followed by a
    /// non-letter ("U-single", "U: ...") or with "unverified", or containing "placeholder"
    /// (all case-insensitive). "user" is not unverified. Pointers stay valid while *this lives.
    std::vector<const CrosswalkRow *> unverified() const;

private:
    void build_index();

    std::string m_scheme;
    std::vector<CrosswalkRow> m_rows;
    bool m_dense = true;
    int64_t m_min_code = 0;
    std::vector<int32_t> m_dense_rows; ///< code - m_min_code -> row index, -1 when absent
};

} // namespace cs::models
