// The month time axis of models.nep (see months.hpp).
#include "models/months.hpp"

#include <algorithm>
#include <cstdio>

namespace cs::models {

std::string YearMonth::text() const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d", year, month);
    return buf;
}

bool parse_year_month(const std::string &text, YearMonth &out) {
    if (text.size() != 7 || text[4] != '-') {
        return false;
    }
    int value[2] = {0, 0};
    for (std::size_t i = 0; i < 7; ++i) {
        if (i == 4) {
            continue;
        }
        const char c = text[i];
        if (c < '0' || c > '9') {
            return false;
        }
        int &v = value[i < 4 ? 0 : 1];
        v = v * 10 + (c - '0');
    }
    if (value[1] < 1 || value[1] > 12) {
        return false;
    }
    out.year = value[0];
    out.month = value[1];
    return true;
}

std::string month_range(const std::string &first, const std::string &last,
                        std::vector<YearMonth> &out) {
    out.clear();
    YearMonth a;
    YearMonth b;
    for (const auto &[text, dst] : {std::pair{&first, &a}, std::pair{&last, &b}}) {
        if (!parse_year_month(*text, *dst)) {
            return "\"" + *text + "\" is not a month written yyyy-mm (e.g. 2020-01)";
        }
    }
    if (b.serial() < a.serial()) {
        return "the last month " + b.text() + " is before the first month " + a.text();
    }
    for (int s = a.serial(); s <= b.serial(); ++s) {
        out.push_back({s / 12, s % 12 + 1});
    }
    return {};
}

std::string check_month_pattern(const std::string &pattern) {
    const bool year = pattern.find("{yyyy}") != std::string::npos;
    const bool month = pattern.find("{mm}") != std::string::npos;
    if (year && month) {
        return {};
    }
    return "\"" + pattern + "\" does not hold " +
           (year ? "{mm}" : (month ? "{yyyy}" : "{yyyy} and {mm}")) +
           " (one raster per month: e.g. met/ndvi_{yyyy}{mm}.tif)";
}

std::string expand_month_pattern(const std::string &pattern, const YearMonth &m) {
    const std::string ym = m.text(); // "yyyy-mm"
    std::string out;
    out.reserve(pattern.size());
    for (std::size_t i = 0; i < pattern.size();) {
        if (pattern.compare(i, 6, "{yyyy}") == 0) {
            out += ym.substr(0, 4);
            i += 6;
        } else if (pattern.compare(i, 4, "{mm}") == 0) {
            out += ym.substr(5, 2);
            i += 4;
        } else {
            out += pattern[i++];
        }
    }
    return out;
}

const char *season_name(Season s) {
    switch (s) {
    case Season::djf:
        return "DJF";
    case Season::mam:
        return "MAM";
    case Season::jja:
        return "JJA";
    case Season::son:
        return "SON";
    }
    return "?";
}

SeasonOfYear season_of(const YearMonth &m) {
    if (m.month == 12) {
        return {m.year + 1, Season::djf}; // December opens the next year's winter
    }
    if (m.month <= 2) {
        return {m.year, Season::djf};
    }
    return {m.year, static_cast<Season>(m.month / 3)}; // 3-5 MAM, 6-8 JJA, 9-11 SON
}

void seasons_of(const std::vector<YearMonth> &months, std::vector<SeasonOfYear> &seasons,
                std::vector<int> &season_of_month) {
    seasons.clear();
    season_of_month.clear();
    for (const auto &m : months) {
        const SeasonOfYear s = season_of(m);
        if (seasons.empty() || !(seasons.back() == s)) {
            seasons.push_back(s);
        }
        season_of_month.push_back(static_cast<int>(seasons.size()) - 1);
    }
}

void years_of(const std::vector<YearMonth> &months, std::vector<int> &years,
              std::vector<int> &year_of_month) {
    years.clear();
    year_of_month.clear();
    for (const auto &m : months) {
        if (years.empty() || years.back() != m.year) {
            years.push_back(m.year);
        }
        year_of_month.push_back(static_cast<int>(years.size()) - 1);
    }
}

void sum_months_by_group(const std::vector<double> &monthly, std::size_t districts,
                         const std::vector<int> &group_of_month, std::size_t groups,
                         std::vector<double> &out, std::vector<int> &months_in_group) {
    const std::size_t months = group_of_month.size();
    out.assign(districts * groups, 0.0);
    months_in_group.assign(groups, 0);
    for (std::size_t m = 0; m < months; ++m) {
        ++months_in_group[static_cast<std::size_t>(group_of_month[m])];
    }
    for (std::size_t d = 0; d < districts; ++d) {
        for (std::size_t m = 0; m < months; ++m) {
            out[d * groups + static_cast<std::size_t>(group_of_month[m])] +=
                monthly[d * months + m];
        }
    }
}

int epoch_of_month(const std::vector<int> &epoch_years, const YearMonth &m) {
    const auto it = std::upper_bound(epoch_years.begin(), epoch_years.end(), m.year);
    return it == epoch_years.begin() ? 0 : static_cast<int>(it - epoch_years.begin()) - 1;
}

} // namespace cs::models
