// The month time axis of models.nep: `months: [yyyy-mm, yyyy-mm]`, monthly layer patterns,
// meteorological seasons and the land-cover epoch of a month (interface.md "Seasonal flux").
// Standard library only; the config parser (pipeline) adds the key and line to the messages.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// A calendar month.
struct YearMonth {
    int year = 0;
    int month = 0; ///< 1..12
    /// Months since year 0 (consecutive months differ by 1).
    int serial() const { return year * 12 + (month - 1); }
    /// yyyymm as an integer (202001), the /nep/month value of results.h5.
    int32_t yyyymm() const { return year * 100 + month; }
    /// "2020-01".
    std::string text() const;
    friend bool operator==(const YearMonth &, const YearMonth &) = default;
};

/// Parse "yyyy-mm": exactly four digits, '-', two digits, month 01..12 (leading and trailing
/// spaces are not allowed). False otherwise.
bool parse_year_month(const std::string &text, YearMonth &out);

/// Check `months: [first, last]` and fill `out` with every month from first to last inclusive.
/// Returns "" when valid, else why not (for "<key>: <why>"): a bound that is not yyyy-mm
/// (`"2020-1" is not a month written yyyy-mm (e.g. 2020-01)`), or last before first
/// (`the last month 2019-12 is before the first month 2020-01`).
std::string month_range(const std::string &first, const std::string &last,
                        std::vector<YearMonth> &out);

/// Check a monthly layer path pattern: it must hold {yyyy} and {mm} (else every month would
/// read the same file). Returns "" when valid, else why not.
std::string check_month_pattern(const std::string &pattern);

/// The pattern with every {yyyy} replaced by the 4-digit year and every {mm} by the 2-digit
/// month ("met/ndvi_{yyyy}{mm}.tif" -> "met/ndvi_202001.tif").
std::string expand_month_pattern(const std::string &pattern, const YearMonth &m);

/// Meteorological seasons.
enum class Season : uint8_t { djf = 0, mam = 1, jja = 2, son = 3 };
/// "DJF", "MAM", "JJA", "SON".
const char *season_name(Season s);

/// A season of a year: DJF of year Y is December of Y-1, January and February of Y.
struct SeasonOfYear {
    int year = 0;
    Season season = Season::djf;
    friend bool operator==(const SeasonOfYear &, const SeasonOfYear &) = default;
};

/// The season of a month; December belongs to the next year's winter (DJF).
SeasonOfYear season_of(const YearMonth &m);

/// The seasons the months touch, in time order, and for each month the index of its season
/// in `seasons`. `months` consecutive and ascending (as month_range gives them).
void seasons_of(const std::vector<YearMonth> &months, std::vector<SeasonOfYear> &seasons,
                std::vector<int> &season_of_month);

/// The calendar years the months touch, ascending, and for each month the index of its year.
void years_of(const std::vector<YearMonth> &months, std::vector<int> &years,
              std::vector<int> &year_of_month);

/// Sum monthly district figures into groups of months (seasons_of or years_of): `monthly` is
/// [district][month] (districts x months values), `out` becomes [district][group] (districts x
/// groups), each the sum of the group's months in month order (a group the run covers in part is
/// the sum of the months it has), and `months_in_group` the number of months of each group.
void sum_months_by_group(const std::vector<double> &monthly, std::size_t districts,
                         const std::vector<int> &group_of_month, std::size_t groups,
                         std::vector<double> &out, std::vector<int> &months_in_group);

/// Index of the land-cover epoch a month uses: the latest epoch year at or before the month's
/// year; a month before the first epoch uses the first epoch (index 0). `epoch_years`
/// ascending and not empty.
int epoch_of_month(const std::vector<int> &epoch_years, const YearMonth &m);

} // namespace cs::models
