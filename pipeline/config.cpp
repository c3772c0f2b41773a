// YAML configuration parsing with line-numbered, complete problem reports.
#include "pipeline/config.hpp"

#include "raster/text_encoding.hpp"

#include <sys/stat.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace cs::pipeline {

namespace fs = std::filesystem;

std::string Config::at(int line) const {
    const std::string file = fs::path(config_path).filename().string();
    return line > 0 ? file + ", line " + std::to_string(line) : file;
}

namespace {

int line_of(const YAML::Node &n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

class Parser {
public:
    Parser(Config &cfg, Problems &p) : m_cfg(cfg), m_p(p) {}

    /// Check the keys of map `node` at `path` against `allowed`; report unknown and duplicate
    /// keys. Returns key -> value node.
    std::map<std::string, YAML::Node> keys(const YAML::Node &node, const std::string &path,
                                           const std::vector<std::string> &allowed) {
        std::map<std::string, YAML::Node> out;
        for (const auto &kv : node) {
            const std::string key = kv.first.Scalar();
            const std::string full = path.empty() ? key : path + "." + key;
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
                std::string msg =
                    "unknown config key \"" + full + "\": " + m_cfg.at(line_of(kv.first)) + ": ";
                const std::string hint = closest_match(key, allowed);
                msg += hint.empty() ? "allowed keys here are " + join(allowed)
                                    : "did you mean \"" + hint + "\"?";
                m_p.error(msg);
                continue;
            }
            if (out.count(key) != 0) {
                m_p.error("duplicate config key \"" + full + "\": " + m_cfg.at(line_of(kv.first)) +
                          ": the key is given twice");
                continue;
            }
            out.emplace(key, kv.second);
        }
        return out;
    }

    bool require_map(const YAML::Node &n, const std::string &path) {
        if (!n.IsMap()) {
            m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) +
                      ": expected a mapping of keys, got " + kind(n));
            return false;
        }
        return true;
    }

    bool scalar(const YAML::Node &n, const std::string &path, std::string &out) {
        if (!n.IsScalar() || n.Scalar().empty()) {
            m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) +
                      ": expected a text value, got " + kind(n));
            return false;
        }
        out = n.Scalar();
        return true;
    }

    bool integer(const YAML::Node &n, const std::string &path, int64_t lo, int64_t hi,
                 int64_t &out) {
        if (n.IsScalar()) {
            errno = 0;
            char *end = nullptr;
            const std::string s = n.Scalar();
            const long long v = std::strtoll(s.c_str(), &end, 10);
            if (!s.empty() && errno == 0 && end == s.c_str() + s.size()) {
                if (v < lo || v > hi) {
                    m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) + ": " +
                              s + " is out of range " + std::to_string(lo) + ".." +
                              std::to_string(hi));
                    return false;
                }
                out = v;
                return true;
            }
        }
        m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) +
                  ": expected an integer, got " + kind(n));
        return false;
    }

    bool boolean(const YAML::Node &n, const std::string &path, bool &out) {
        if (n.IsScalar()) {
            const std::string s = n.Scalar();
            if (s == "true" || s == "yes" || s == "on") {
                out = true;
                return true;
            }
            if (s == "false" || s == "no" || s == "off") {
                out = false;
                return true;
            }
        }
        m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) +
                  ": expected true or false, got " + kind(n));
        return false;
    }

    std::string resolve(const std::string &p) const { return join_os_path(m_cfg.base_dir, p); }

    static std::string kind(const YAML::Node &n) {
        if (n.IsNull()) {
            return "nothing";
        }
        if (n.IsMap()) {
            return n.size() == 0 ? "an empty mapping" : "a mapping";
        }
        if (n.IsSequence()) {
            return n.size() == 0 ? "an empty list" : "a list";
        }
        return "\"" + n.Scalar() + "\"";
    }

    static std::string join(const std::vector<std::string> &v) {
        std::string s;
        for (std::size_t i = 0; i < v.size(); ++i) {
            s += (i ? ", " : "") + v[i];
        }
        return s;
    }

    void missing(const std::string &key, const YAML::Node &parent) {
        m_p.error("missing config key \"" + key + "\": " + m_cfg.at(line_of(parent)) +
                  ": the key is required");
    }

    void parse(const YAML::Node &root) {
        if (!root.IsMap()) {
            m_p.error("invalid config: " + m_cfg.at(line_of(root)) +
                      ": the file must be a YAML mapping of keys (name, output_dir, land_cover, "
                      "models, ...)");
            return;
        }
        auto top = keys(root, "",
                        {"name", "output_dir", "land_cover", "districts", "models", "processing",
                         "outputs", "grid", "uncertainty"});
        if (top.count("grid")) {
            grid(top["grid"]);
        }
        if (top.count("name")) {
            scalar(top["name"], "name", m_cfg.name);
        } else {
            missing("name", root);
        }
        if (top.count("output_dir")) {
            std::string s;
            if (scalar(top["output_dir"], "output_dir", s)) {
                m_cfg.output_dir = resolve(s);
                m_cfg.output_dir_line = line_of(top["output_dir"]);
            }
        } else {
            missing("output_dir", root);
        }
        if (top.count("land_cover")) {
            land_cover(top["land_cover"]);
        } else {
            missing("land_cover", root);
        }
        if (top.count("districts")) {
            districts(top["districts"]);
        }
        if (top.count("models")) {
            models(top["models"]);
        } else {
            missing("models", root);
        }
        if (top.count("processing")) {
            processing(top["processing"]);
        }
        if (top.count("outputs")) {
            outputs(top["outputs"]);
        }
        if (top.count("uncertainty")) {
            uncertainty(top["uncertainty"]);
        }
        if (m_cfg.write_monthly_rasters && !m_cfg.nep.present) {
            m_p.error("invalid config value outputs.monthly_rasters: " +
                      m_cfg.at(m_monthly_rasters_line) +
                      ": monthly rasters are NEP maps; they need models.nep");
        }
    }

    void land_cover(const YAML::Node &n) {
        if (!require_map(n, "land_cover")) {
            return;
        }
        auto k = keys(n, "land_cover", {"epochs", "band", "resampling"});
        if (k.count("resampling")) {
            categorical_resampling(k["resampling"], "land_cover.resampling",
                                   m_cfg.land_cover_resampling);
        }
        if (k.count("band")) {
            int64_t b = 1;
            if (integer(k["band"], "land_cover.band", 1, 65535, b)) {
                m_cfg.land_cover_band = static_cast<int>(b);
            }
        }
        if (!k.count("epochs")) {
            missing("land_cover.epochs", n);
            return;
        }
        const YAML::Node &ep = k["epochs"];
        if (!ep.IsMap() || ep.size() == 0) {
            m_p.error("invalid config value land_cover.epochs: " + m_cfg.at(line_of(ep)) +
                      ": expected a mapping of year: raster path, e.g. \"2015: lc2015.tif\", got " +
                      kind(ep));
            return;
        }
        std::set<int> years;
        int previous = -1;
        for (const auto &kv : ep) {
            const int line = line_of(kv.first);
            int64_t year = 0;
            if (!integer(kv.first, "land_cover.epochs (year)", 1, 9999, year)) {
                continue;
            }
            std::string path;
            if (!scalar(kv.second, "land_cover.epochs." + std::to_string(year), path)) {
                continue;
            }
            if (!years.insert(static_cast<int>(year)).second) {
                m_p.error("invalid config value land_cover.epochs: " + m_cfg.at(line) + ": year " +
                          std::to_string(year) + " is listed twice");
                continue;
            }
            if (year < previous) {
                m_p.error("invalid config value land_cover.epochs: " + m_cfg.at(line) + ": year " +
                          std::to_string(year) + " comes after " + std::to_string(previous) +
                          "; list epochs in ascending year order");
            }
            previous = static_cast<int>(year);
            m_cfg.epochs.push_back({static_cast<int>(year), resolve(path), path, line});
        }
        std::sort(m_cfg.epochs.begin(), m_cfg.epochs.end(),
                  [](const EpochSpec &a, const EpochSpec &b) { return a.year < b.year; });
    }

    void districts(const YAML::Node &n) {
        if (!require_map(n, "districts")) {
            return;
        }
        auto k = keys(n, "districts",
                      {"path", "id_field", "name_field", "name_field_en", "layer", "band",
                       "coverage", "level", "parents", "resampling", "parents_from_code",
                       "parent_names", "parent_levels", "datum"});
        if (k.count("resampling")) {
            categorical_resampling(k["resampling"], "districts.resampling",
                                   m_cfg.districts.resampling);
        }
        auto &d = m_cfg.districts;
        d.present = true;
        d.line = line_of(n);
        if (k.count("path")) {
            if (scalar(k["path"], "districts.path", d.path_as_written)) {
                d.path = resolve(d.path_as_written);
            }
        } else {
            missing("districts.path", n);
        }
        if (k.count("id_field")) {
            scalar(k["id_field"], "districts.id_field", d.id_field);
        }
        if (k.count("name_field")) {
            scalar(k["name_field"], "districts.name_field", d.name_field);
        }
        if (k.count("name_field_en")) {
            if (scalar(k["name_field_en"], "districts.name_field_en", d.name_field_en)) {
                d.name_field_en_line = line_of(k["name_field_en"]);
            }
        }
        if (k.count("layer")) {
            scalar(k["layer"], "districts.layer", d.layer);
        }
        if (k.count("band")) {
            int64_t b = 1;
            if (integer(k["band"], "districts.band", 1, 65535, b)) {
                d.band = static_cast<int>(b);
            }
        }
        if (k.count("coverage") && scalar(k["coverage"], "districts.coverage", d.coverage) &&
            d.coverage != "exact" && d.coverage != "centre") {
            const std::string hint = closest_match(d.coverage, {"exact", "centre"});
            m_p.error(
                "invalid config value districts.coverage: " + m_cfg.at(line_of(k["coverage"])) +
                ": \"" + d.coverage + "\" is not one of exact, centre" +
                (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
        }
        if (k.count("level")) {
            scalar(k["level"], "districts.level", d.level);
        }
        if (k.count("parents")) {
            const YAML::Node &ps = k["parents"];
            if (!ps.IsSequence() || ps.size() == 0) {
                m_p.error("invalid config value districts.parents: " + m_cfg.at(line_of(ps)) +
                          ": expected a list of levels, each with level and id_field, got " +
                          kind(ps));
            } else {
                std::set<std::string> names = {d.level};
                for (std::size_t i = 0; i < ps.size(); ++i) {
                    const std::string path = "districts.parents[" + std::to_string(i) + "]";
                    if (!require_map(ps[i], path)) {
                        continue;
                    }
                    auto pk = keys(ps[i], path, {"level", "id_field", "name_field"});
                    DistrictSpec::Parent parent;
                    if (!pk.count("level")) {
                        missing(path + ".level", ps[i]);
                    } else if (scalar(pk["level"], path + ".level", parent.level) &&
                               !names.insert(parent.level).second) {
                        m_p.error("invalid config value " + path +
                                  ".level: " + m_cfg.at(line_of(pk["level"])) + ": level \"" +
                                  parent.level + "\" is used twice");
                    }
                    if (!pk.count("id_field")) {
                        missing(path + ".id_field", ps[i]);
                    } else {
                        scalar(pk["id_field"], path + ".id_field", parent.id_field);
                    }
                    if (pk.count("name_field")) {
                        scalar(pk["name_field"], path + ".name_field", parent.name_field);
                    }
                    d.parents.push_back(parent);
                }
            }
        }
        districts_from_code(k);
    }

    /// districts.parents_from_code, parent_names, parent_levels and datum (Chinese
    /// administrative geography: configs/README.md, "districts").
    void districts_from_code(std::map<std::string, YAML::Node> &k) {
        auto &d = m_cfg.districts;
        if (k.count("parents_from_code")) {
            d.parents_from_code_line = line_of(k["parents_from_code"]);
            if (scalar(k["parents_from_code"], "districts.parents_from_code",
                       d.parents_from_code) &&
                d.parents_from_code != "china_adcode") {
                const std::string hint = closest_match(d.parents_from_code, {"china_adcode"});
                m_p.error("invalid config value districts.parents_from_code: " +
                          m_cfg.at(d.parents_from_code_line) + ": \"" + d.parents_from_code +
                          "\" is not one of china_adcode" +
                          (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
            }
            if (k.count("parents")) {
                m_p.error("invalid config value districts.parents_from_code: " +
                          m_cfg.at(d.parents_from_code_line) +
                          ": give either parents (parent ids read from fields) or "
                          "parents_from_code (parent ids derived from the district codes), not "
                          "both");
            }
        }
        for (const char *key : {"parent_names", "parent_levels"}) {
            if (k.count(key) && !k.count("parents_from_code")) {
                m_p.error(std::string("invalid config value districts.") + key + ": " +
                          m_cfg.at(line_of(k[key])) +
                          ": it names the levels derived by districts.parents_from_code, which "
                          "is not given; add parents_from_code: china_adcode or remove " +
                          key);
            }
        }
        if (k.count("parent_names")) {
            // One table, or a list of them (e.g. a province's cities file and a CSV naming the
            // province).
            const YAML::Node &pn = k["parent_names"];
            if (pn.IsSequence() && pn.size() > 0) {
                for (std::size_t i = 0; i < pn.size(); ++i) {
                    DistrictSpec::NameTable t;
                    t.line = line_of(pn[i]);
                    if (scalar(pn[i], "districts.parent_names[" + std::to_string(i) + "]",
                               t.path_as_written)) {
                        t.path = resolve(t.path_as_written);
                        d.parent_names.push_back(t);
                    }
                }
            } else if (pn.IsSequence()) {
                m_p.error("invalid config value districts.parent_names: " + m_cfg.at(line_of(pn)) +
                          ": expected a file (or a list of files) naming codes, got an empty "
                          "list");
            } else {
                DistrictSpec::NameTable t;
                t.line = line_of(pn);
                if (scalar(pn, "districts.parent_names", t.path_as_written)) {
                    t.path = resolve(t.path_as_written);
                    d.parent_names.push_back(t);
                }
            }
        }
        if (k.count("parent_levels")) {
            const YAML::Node &pl = k["parent_levels"];
            d.parent_levels_line = line_of(pl);
            std::vector<std::string> names;
            bool ok = pl.IsSequence() && pl.size() == 2;
            for (std::size_t i = 0; ok && i < pl.size(); ++i) {
                ok = pl[i].IsScalar() && !pl[i].Scalar().empty();
                if (ok) {
                    names.push_back(pl[i].Scalar());
                }
            }
            if (!ok) {
                m_p.error("invalid config value districts.parent_levels: " +
                          m_cfg.at(d.parent_levels_line) +
                          ": expected a list of two level names (the code's city and province "
                          "levels, e.g. [prefecture, province]), got " +
                          kind(pl));
            } else if (names[0] == names[1] || names[0] == d.level || names[1] == d.level) {
                m_p.error("invalid config value districts.parent_levels: " +
                          m_cfg.at(d.parent_levels_line) +
                          ": level names must differ from each "
                          "other and from districts.level (\"" +
                          d.level + "\")");
            } else {
                d.parent_levels = names;
            }
        }
        if (k.count("parents_from_code") && !k.count("parent_levels") &&
            (d.level == d.parent_levels[0] || d.level == d.parent_levels[1])) {
            m_p.error("invalid config value districts.level: " +
                      m_cfg.at(line_of(k.count("level") ? k["level"] : k["parents_from_code"])) +
                      ": \"" + d.level + "\" is also a level parents_from_code derives (" +
                      d.parent_levels[0] + ", " + d.parent_levels[1] +
                      "); name the districts' level otherwise (e.g. county) or give "
                      "parent_levels");
        }
        if (k.count("datum")) {
            d.datum_line = line_of(k["datum"]);
            if (scalar(k["datum"], "districts.datum", d.datum) && d.datum != "wgs84" &&
                d.datum != "gcj02") {
                const std::string hint = closest_match(d.datum, {"wgs84", "gcj02"});
                m_p.error("invalid config value districts.datum: " + m_cfg.at(d.datum_line) +
                          ": \"" + d.datum + "\" is not one of wgs84, gcj02" +
                          (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
            }
        }
    }

    void models(const YAML::Node &n) {
        if (!require_map(n, "models")) {
            return;
        }
        auto k = keys(n, "models", {"stocks", "sink", "soil", "dom", "flux", "nep"});
        if (k.count("nep") && require_map(k["nep"], "models.nep")) {
            nep(k["nep"]);
        }
        if (k.count("soil") && require_map(k["soil"], "models.soil")) {
            soil(k["soil"]);
        }
        if (k.count("dom") && require_map(k["dom"], "models.dom")) {
            dom(k["dom"]);
        }
        if (!k.count("stocks")) {
            missing("models.stocks", n);
        } else if (require_map(k["stocks"], "models.stocks")) {
            stocks(k["stocks"]);
        }
        if (k.count("flux") && require_map(k["flux"], "models.flux")) {
            flux(k["flux"]);
        }
        if (k.count("sink") && require_map(k["sink"], "models.sink")) {
            auto s = keys(k["sink"], "models.sink", {"method", "pools"});
            if (s.count("pools")) {
                m_cfg.sink_pools_line = line_of(s["pools"]);
                string_list(s["pools"], "models.sink.pools", m_cfg.sink_pools);
            }
            if (s.count("method")) {
                if (scalar(s["method"], "models.sink.method", m_cfg.sink_method) &&
                    m_cfg.sink_method != "stock_difference") {
                    const std::string hint = closest_match(m_cfg.sink_method, {"stock_difference"});
                    m_p.error("invalid config value models.sink.method: " +
                              m_cfg.at(line_of(s["method"])) + ": unknown method \"" +
                              m_cfg.sink_method + "\"; available: stock_difference" +
                              (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
                }
            } else {
                missing("models.sink.method", k["sink"]);
            }
        }
        // IPCC 2006 Vol. 4 Ch. 2 (science.md §2 implementation notes): the stock-difference and
        // gain-loss methods must never both estimate one pool, or its change is counted twice.
        for (const auto &pool : m_cfg.sink_pools) {
            if (std::find(m_cfg.flux_pools.begin(), m_cfg.flux_pools.end(), pool) !=
                m_cfg.flux_pools.end()) {
                m_p.error("conflicting config values models.sink.pools and models.flux.pools: " +
                          m_cfg.at(m_cfg.sink_pools_line) + " and line " +
                          std::to_string(m_cfg.flux_pools_line) + ": pool \"" + pool +
                          "\" is estimated by both stock difference and gain-loss; each pool "
                          "takes one method (IPCC 2006 Vol. 4 Ch. 2: using both double-counts)");
            }
        }
        if (!m_cfg.flux_method.empty() && m_cfg.stocks_method != "inventory" &&
            m_cfg.flux_growth == "volume_increment") {
            m_p.error("invalid config value models.flux.growth: " + m_cfg.at(m_cfg.flux_line) +
                      ": volume_increment needs models.stocks.method inventory (it reads the "
                      "growing stock and forest types of the inventory), not " +
                      m_cfg.stocks_method);
        }
    }

    void stocks(const YAML::Node &node) {
        auto s = keys(node, "models.stocks",
                      {"method", "table", "agb", "agb_units", "carbon_fraction", "root_shoot_ratio",
                       "forest_classes", "crosswalk", "volume", "forest_type", "forest_types"});
        const std::vector<std::string> methods = {"lookup", "agb_raster", "inventory"};
        if (s.count("method")) {
            if (scalar(s["method"], "models.stocks.method", m_cfg.stocks_method) &&
                std::find(methods.begin(), methods.end(), m_cfg.stocks_method) == methods.end()) {
                const std::string hint = closest_match(m_cfg.stocks_method, methods);
                m_p.error("invalid config value models.stocks.method: " +
                          m_cfg.at(line_of(s["method"])) + ": unknown method \"" +
                          m_cfg.stocks_method + "\"; available: lookup, agb_raster, inventory" +
                          (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
                return;
            }
        } else {
            missing("models.stocks.method", node);
            return;
        }
        if (s.count("table")) {
            if (scalar(s["table"], "models.stocks.table", m_cfg.pools_table_as_written)) {
                m_cfg.pools_table = resolve(m_cfg.pools_table_as_written);
                m_cfg.pools_table_line = line_of(s["table"]);
            }
        } else {
            missing("models.stocks.table", node);
        }
        const bool agb = m_cfg.stocks_method == "agb_raster";
        const bool inventory = m_cfg.stocks_method == "inventory";
        for (const char *key : {"agb", "agb_units", "carbon_fraction", "root_shoot_ratio"}) {
            if (!agb && s.count(key)) {
                m_p.error("invalid config key \"models.stocks." + std::string(key) +
                          "\": " + m_cfg.at(line_of(s[key])) +
                          ": it belongs to method agb_raster, not " + m_cfg.stocks_method);
            }
        }
        for (const char *key :
             {"forest_classes", "crosswalk", "volume", "forest_type", "forest_types"}) {
            if (!inventory && s.count(key)) {
                m_p.error("invalid config key \"models.stocks." + std::string(key) +
                          "\": " + m_cfg.at(line_of(s[key])) +
                          ": it belongs to method inventory, not " + m_cfg.stocks_method);
            }
        }
        if (inventory) {
            inventory_keys(node, s);
            return;
        }
        if (!agb) {
            return;
        }
        if (!s.count("agb")) {
            missing("models.stocks.agb", node);
        } else {
            layer_by_year(s["agb"], "models.stocks.agb", "agb");
        }
        std::string units;
        if (!s.count("agb_units")) {
            missing("models.stocks.agb_units", node);
        } else if (scalar(s["agb_units"], "models.stocks.agb_units", units)) {
            if (units != "mg_dm_per_ha" && units != "mg_c_per_ha") {
                m_p.error("invalid config value models.stocks.agb_units: " +
                          m_cfg.at(line_of(s["agb_units"])) + ": \"" + units +
                          "\" is not one of mg_dm_per_ha (dry matter), mg_c_per_ha (carbon)");
            }
            m_cfg.agb_is_carbon = units == "mg_c_per_ha";
        }
        if (s.count("carbon_fraction")) {
            number(s["carbon_fraction"], "models.stocks.carbon_fraction", m_cfg.carbon_fraction);
        } else if (units == "mg_dm_per_ha") {
            m_p.error(
                "missing config key \"models.stocks.carbon_fraction\": " + m_cfg.at(line_of(node)) +
                ": a dry-matter AGB map needs its carbon fraction (IPCC 2006 Vol. 4 Table "
                "4.3: 0.47 default; give the value you can cite)");
        }
        if (s.count("root_shoot_ratio")) {
            number(s["root_shoot_ratio"], "models.stocks.root_shoot_ratio", m_cfg.root_shoot_ratio);
        } else {
            m_p.error("missing config key \"models.stocks.root_shoot_ratio\": " +
                      m_cfg.at(line_of(node)) +
                      ": below-ground biomass = AGB x R (IPCC 2006 Vol. 4 Table 4.4; give the "
                      "value you can cite)");
        }
    }

    void soil(const YAML::Node &node) {
        auto s = keys(node, "models.soil",
                      {"method", "climate_zone", "soil_type", "soil_types", "management",
                       "management_raster", "management_codes", "transition_years"});
        if (!s.count("method")) {
            missing("models.soil.method", node);
            return;
        }
        if (scalar(s["method"], "models.soil.method", m_cfg.soil_method) &&
            m_cfg.soil_method != "ipcc_tier1") {
            const std::string hint = closest_match(m_cfg.soil_method, {"ipcc_tier1"});
            m_p.error("invalid config value models.soil.method: " + m_cfg.at(line_of(s["method"])) +
                      ": unknown method \"" + m_cfg.soil_method + "\"; available: ipcc_tier1" +
                      (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
            return;
        }
        m_cfg.soil_line = line_of(node);
        for (const char *key : {"climate_zone", "soil_type"}) {
            if (!s.count(key)) {
                missing(std::string("models.soil.") + key, node);
                continue;
            }
            std::string file;
            if (scalar(s[key], std::string("models.soil.") + key, file)) {
                LayerSpec layer;
                layer.name = key;
                layer.per_epoch = false;
                layer.line = line_of(s[key]);
                layer.paths[0] = {resolve(file), file, layer.line};
                m_cfg.layers.push_back(layer);
            }
        }
        if (!s.count("soil_types")) {
            missing("models.soil.soil_types", node);
        } else if (!s["soil_types"].IsMap() || s["soil_types"].size() == 0) {
            m_p.error("invalid config value models.soil.soil_types: " +
                      m_cfg.at(line_of(s["soil_types"])) +
                      ": expected a mapping of soil raster code: soil type (hac, lac, sandy, "
                      "spodic, volcanic, wetland), got " +
                      kind(s["soil_types"]));
        } else {
            for (const auto &kv : s["soil_types"]) {
                int64_t code = 0;
                std::string type;
                if (integer(kv.first, "models.soil.soil_types (code)", INT32_MIN, INT32_MAX,
                            code) &&
                    scalar(kv.second, "models.soil.soil_types." + std::to_string(code), type)) {
                    m_cfg.soil_types[static_cast<int32_t>(code)] = type;
                }
            }
        }
        if (!s.count("management")) {
            missing("models.soil.management", node);
        } else if (scalar(s["management"], "models.soil.management",
                          m_cfg.soil_management_as_written)) {
            m_cfg.soil_management = resolve(m_cfg.soil_management_as_written);
            m_cfg.soil_management_line = line_of(s["management"]);
        }
        management_raster(s);
        if (s.count("transition_years") &&
            number(s["transition_years"], "models.soil.transition_years",
                   m_cfg.soil_transition_years) &&
            !(m_cfg.soil_transition_years > 0.0)) {
            m_p.error("invalid config value models.soil.transition_years: " +
                      m_cfg.at(line_of(s["transition_years"])) + ": must be > 0 (IPCC default 20)");
        }
    }

    /// models.dom: dead wood and litter as fractions of AGB (dom.agb_fraction).
    void dom(const YAML::Node &node) {
        auto s = keys(node, "models.dom",
                      {"method", "climate_domain", "climate_zone", "elevation", "precipitation"});
        if (!s.count("method")) {
            missing("models.dom.method", node);
            return;
        }
        if (scalar(s["method"], "models.dom.method", m_cfg.dom_method) &&
            m_cfg.dom_method != "agb_fraction") {
            const std::string hint = closest_match(m_cfg.dom_method, {"agb_fraction"});
            m_p.error("invalid config value models.dom.method: " + m_cfg.at(line_of(s["method"])) +
                      ": unknown method \"" + m_cfg.dom_method + "\"; available: agb_fraction" +
                      (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
            m_cfg.dom_method.clear();
            return;
        }
        m_cfg.dom_line = line_of(node);
        auto single_layer = [&](const char *key, const std::string &name) {
            std::string file;
            if (!scalar(s[key], std::string("models.dom.") + key, file)) {
                return false;
            }
            LayerSpec layer;
            layer.name = name;
            layer.per_epoch = false;
            layer.line = line_of(s[key]);
            layer.paths[0] = {resolve(file), file, layer.line};
            m_cfg.layers.push_back(layer);
            return true;
        };
        const bool has_domain = s.count("climate_domain") != 0;
        const bool has_zone = s.count("climate_zone") != 0;
        if (has_domain && has_zone) {
            m_p.error("invalid config value models.dom: " + m_cfg.at(line_of(s["climate_zone"])) +
                      ": give either climate_domain (one domain for the whole map) or "
                      "climate_zone (a climate-zone raster), not both");
        } else if (!has_domain && !has_zone) {
            m_p.error(
                "missing config key \"models.dom.climate_domain\": " + m_cfg.at(line_of(node)) +
                ": say which climate domain the fractions are for (tropical or "
                "temperate_or_boreal), or give climate_zone: <IPCC climate-zone raster>");
        }
        if (has_domain &&
            scalar(s["climate_domain"], "models.dom.climate_domain", m_cfg.dom_climate_domain)) {
            const std::vector<std::string> domains = {"tropical", "temperate_or_boreal"};
            if (std::find(domains.begin(), domains.end(), m_cfg.dom_climate_domain) ==
                domains.end()) {
                const std::string hint = closest_match(m_cfg.dom_climate_domain, domains);
                m_p.error("invalid config value models.dom.climate_domain: " +
                          m_cfg.at(line_of(s["climate_domain"])) + ": \"" +
                          m_cfg.dom_climate_domain +
                          "\" is not one of tropical, temperate_or_boreal (the domains of "
                          "dom_fractions.csv)" +
                          (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
            }
        }
        if (has_zone && !has_domain) {
            m_cfg.dom_climate_zone = single_layer("climate_zone", "dom_climate_zone");
        }
        const bool has_elevation = s.count("elevation") != 0;
        const bool has_precip = s.count("precipitation") != 0;
        if (m_cfg.dom_climate_domain == "temperate_or_boreal" && (has_elevation || has_precip)) {
            const char *key = has_elevation ? "elevation" : "precipitation";
            m_p.warn("models.dom." + std::string(key) + ": " + m_cfg.at(line_of(s[key])) +
                     ": not used: the temperate_or_boreal fractions do not depend on elevation "
                     "or precipitation");
            return;
        }
        if (m_cfg.dom_climate_domain == "tropical") {
            for (const char *key : {"elevation", "precipitation"}) {
                if (!s.count(key)) {
                    m_p.error("missing config key \"models.dom." + std::string(key) +
                              "\": " + m_cfg.at(line_of(node)) +
                              ": the tropical dead-wood and litter fractions depend on "
                              "elevation (m) and annual precipitation (mm/yr) (CDM AR-TOOL12; "
                              "dom_fractions.csv)");
                }
            }
        } else if (has_elevation != has_precip) {
            const char *have = has_elevation ? "elevation" : "precipitation";
            const char *lack = has_elevation ? "precipitation" : "elevation";
            m_p.error("missing config key \"models.dom." + std::string(lack) +
                      "\": " + m_cfg.at(line_of(s[have])) + ": models.dom." + have +
                      " is given; the tropical fractions need elevation and precipitation "
                      "together");
        }
        if (has_elevation && has_precip) {
            const bool e = single_layer("elevation", "elevation");
            const bool p = single_layer("precipitation", "precipitation");
            m_cfg.dom_strata = e && p;
        }
    }

    /// models.soil.management_raster (one path for every epoch, or year: path per epoch) and
    /// models.soil.management_codes, which need each other.
    void management_raster(std::map<std::string, YAML::Node> &s) {
        const bool raster = s.count("management_raster") != 0;
        const bool codes = s.count("management_codes") != 0;
        if (raster) {
            const YAML::Node &n = s["management_raster"];
            const std::string path = "models.soil.management_raster";
            m_cfg.soil_management_raster_line = line_of(n);
            if (n.IsMap()) {
                layer_by_year(n, path, "management");
            } else if (n.IsScalar() && !n.Scalar().empty()) {
                LayerSpec layer;
                layer.name = "management";
                layer.per_epoch = false;
                layer.line = line_of(n);
                layer.paths[0] = {resolve(n.Scalar()), n.Scalar(), layer.line};
                m_cfg.layers.push_back(layer);
            } else {
                m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) +
                          ": expected a raster path (one for every epoch) or a mapping of year: "
                          "raster path (one per land-cover epoch), got " +
                          kind(n));
            }
            if (!codes) {
                m_p.error(
                    "missing config key \"models.soil.management_codes\": " + m_cfg.at(line_of(n)) +
                    ": management_raster needs the table of its codes (code, land_use, "
                    "lu_level, mg_level, i_level, source, status)");
            }
        }
        if (codes) {
            const YAML::Node &n = s["management_codes"];
            if (scalar(n, "models.soil.management_codes", m_cfg.soil_management_codes_as_written)) {
                m_cfg.soil_management_codes = resolve(m_cfg.soil_management_codes_as_written);
                m_cfg.soil_management_codes_line = line_of(n);
            }
            if (!raster) {
                m_p.error("missing config key \"models.soil.management_raster\": " +
                          m_cfg.at(line_of(n)) +
                          ": management_codes describes the codes of a management raster, "
                          "which is not given");
            }
        }
    }

    void inventory_keys(const YAML::Node &node, std::map<std::string, YAML::Node> &s) {
        if (s.count("forest_classes")) {
            const YAML::Node &fc = s["forest_classes"];
            if (!fc.IsSequence() || fc.size() == 0) {
                m_p.error(
                    "invalid config value models.stocks.forest_classes: " + m_cfg.at(line_of(fc)) +
                    ": expected a list of land-cover codes, e.g. [2], got " + kind(fc));
            } else {
                for (std::size_t i = 0; i < fc.size(); ++i) {
                    int64_t code = 0;
                    if (integer(fc[i], "models.stocks.forest_classes[" + std::to_string(i) + "]",
                                INT32_MIN, INT32_MAX, code)) {
                        m_cfg.forest_classes.push_back(static_cast<int32_t>(code));
                    }
                }
            }
        }
        if (s.count("crosswalk")) {
            scalar(s["crosswalk"], "models.stocks.crosswalk", m_cfg.crosswalk);
            m_cfg.crosswalk_line = line_of(s["crosswalk"]);
            // A built-in scheme is a bare name; anything else is a CSV path, relative to the
            // config's folder like every other path.
            if (m_cfg.crosswalk.find('/') != std::string::npos ||
                m_cfg.crosswalk.find('.') != std::string::npos) {
                m_cfg.crosswalk = resolve(m_cfg.crosswalk);
            }
        }
        if (!s.count("forest_classes") && !s.count("crosswalk")) {
            m_p.error(
                "missing config key \"models.stocks.forest_classes\": " + m_cfg.at(line_of(node)) +
                ": say which land-cover classes are forest, with forest_classes: [codes] "
                "or crosswalk: <scheme> (its forest category)");
        }
        if (!s.count("volume")) {
            missing("models.stocks.volume", node);
        } else {
            layer_by_year(s["volume"], "models.stocks.volume", "volume");
        }
        if (!s.count("forest_type")) {
            missing("models.stocks.forest_type", node);
        } else {
            std::string file;
            if (scalar(s["forest_type"], "models.stocks.forest_type", file)) {
                LayerSpec layer;
                layer.name = "forest_type";
                layer.per_epoch = false;
                layer.line = line_of(s["forest_type"]);
                layer.paths[0] = {resolve(file), file, layer.line};
                m_cfg.layers.push_back(layer);
            }
        }
        if (!s.count("forest_types")) {
            missing("models.stocks.forest_types", node);
        } else if (scalar(s["forest_types"], "models.stocks.forest_types",
                          m_cfg.forest_types_as_written)) {
            m_cfg.forest_types = resolve(m_cfg.forest_types_as_written);
            m_cfg.forest_types_line = line_of(s["forest_types"]);
        }
    }

    /// A non-empty list of text values, e.g. pool names.
    void string_list(const YAML::Node &n, const std::string &path, std::vector<std::string> &out) {
        if (!n.IsSequence() || n.size() == 0) {
            m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) +
                      ": expected a list, e.g. [above_ground, below_ground], got " + kind(n));
            return;
        }
        for (std::size_t i = 0; i < n.size(); ++i) {
            std::string v;
            if (scalar(n[i], path + "[" + std::to_string(i) + "]", v)) {
                if (std::find(out.begin(), out.end(), v) != out.end()) {
                    m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n[i])) +
                              ": \"" + v + "\" is listed twice");
                }
                out.push_back(v);
            }
        }
    }

    /// One raster for every epoch, as a model layer named `name`.
    void single_layer(const YAML::Node &n, const std::string &path, const std::string &name) {
        std::string file;
        if (scalar(n, path, file)) {
            LayerSpec layer;
            layer.name = name;
            layer.per_epoch = false;
            layer.line = line_of(n);
            layer.paths[0] = {resolve(file), file, layer.line};
            m_cfg.layers.push_back(layer);
        }
    }

    /// models.nep: monthly NPP (CASA or the user's maps), R_H and NEP (science.md §5).
    void nep(const YAML::Node &node) {
        NepConfig &c = m_cfg.nep;
        c.present = true;
        c.line = line_of(node);
        auto k = keys(node, "models.nep", {"method", "months", "vegetation", "layers"});
        const std::vector<std::string> methods = {"casa", "npp_raster"};
        if (!k.count("method")) {
            missing("models.nep.method", node);
        } else if (scalar(k["method"], "models.nep.method", c.method)) {
            c.method_line = line_of(k["method"]);
            if (std::find(methods.begin(), methods.end(), c.method) == methods.end()) {
                const std::string hint = closest_match(c.method, methods);
                m_p.error("invalid config value models.nep.method: " + m_cfg.at(c.method_line) +
                          ": unknown method \"" + c.method +
                          "\"; available: casa (NPP from NDVI and climate, science.md 5.1), "
                          "npp_raster (NPP from your monthly maps)" +
                          (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
                c.method.clear();
            }
        }
        if (!k.count("months")) {
            missing("models.nep.months", node);
        } else {
            const YAML::Node &m = k["months"];
            c.months_line = line_of(m);
            if (!m.IsSequence() || m.size() != 2 || !m[0].IsScalar() || !m[1].IsScalar()) {
                m_p.error("invalid config value models.nep.months: " + m_cfg.at(c.months_line) +
                          ": expected the first and last month written yyyy-mm, e.g. [2020-01, "
                          "2020-12], got " +
                          kind(m));
            } else {
                const std::string why = models::month_range(m[0].Scalar(), m[1].Scalar(), c.months);
                if (!why.empty()) {
                    m_p.error("invalid config value models.nep.months: " + m_cfg.at(c.months_line) +
                              ": " + why);
                    c.months.clear();
                } else if (c.months.size() > NepConfig::MAX_MONTHS) {
                    m_p.error("invalid config value models.nep.months: " + m_cfg.at(c.months_line) +
                              ": " + std::to_string(c.months.size()) +
                              " months, more than the maximum of " +
                              std::to_string(NepConfig::MAX_MONTHS) +
                              " (every month of a row is held in memory at once); split the run");
                    c.months.clear();
                }
            }
        }
        if (k.count("vegetation")) {
            if (scalar(k["vegetation"], "models.nep.vegetation", c.vegetation_as_written)) {
                c.vegetation = resolve(c.vegetation_as_written);
                c.vegetation_line = line_of(k["vegetation"]);
            }
        } else if (c.method == "casa") {
            m_p.error("missing config key \"models.nep.vegetation\": " + m_cfg.at(c.line) +
                      ": method casa needs the land-cover class -> CASA vegetation type mapping "
                      "(lucode,casa_type)");
        }
        if (!k.count("layers")) {
            missing("models.nep.layers", node);
            return;
        }
        if (!require_map(k["layers"], "models.nep.layers") || c.method.empty()) {
            return;
        }
        const std::vector<std::string> all = {
            "ndvi",  "temperature_c", "precipitation_mm", "solar_mj_per_m2",
            "et_mm", "pet_mm",        "npp_g_c_per_m2"};
        auto l = keys(k["layers"], "models.nep.layers", all);
        const std::vector<std::string> needed = nep_layer_names(c.method);
        for (const auto &kv : l) {
            if (std::find(needed.begin(), needed.end(), kv.first) == needed.end()) {
                m_p.error("invalid config key \"models.nep.layers." + kv.first +
                          "\": " + m_cfg.at(line_of(kv.second)) + ": method " + c.method +
                          " does not read it (it reads " + join(needed) + ")");
            }
        }
        for (const auto &name : needed) {
            if (!l.count(name)) {
                missing("models.nep.layers." + name, k["layers"]);
                continue;
            }
            NepConfig::Layer layer;
            layer.name = name;
            if (!scalar(l[name], "models.nep.layers." + name, layer.pattern_as_written)) {
                continue;
            }
            layer.line = line_of(l[name]);
            const std::string why = models::check_month_pattern(layer.pattern_as_written);
            if (!why.empty()) {
                m_p.error("invalid config value models.nep.layers." + name + ": " +
                          m_cfg.at(layer.line) + ": " + why);
                continue;
            }
            layer.pattern = resolve(layer.pattern_as_written);
            // The driver opens a month layer per month from its pattern (LayerSpec).
            LayerSpec spec;
            spec.name = name;
            spec.per_epoch = false;
            spec.month_pattern = {layer.pattern, layer.pattern_as_written, layer.line};
            spec.line = layer.line;
            m_cfg.layers.push_back(std::move(spec));
            c.layers.push_back(std::move(layer));
        }
        for (const auto &m : c.months) {
            m_cfg.months.push_back({m.year, m.month});
        }
        m_cfg.months_line = c.months_line;
    }

    /// models.flux: gain-loss for some pools (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.7).
    void flux(const YAML::Node &node) {
        auto f = keys(node, "models.flux",
                      {"method", "growth", "pools", "forest_classes", "forest_type", "growth_table",
                       "age", "volume_increment", "harvest_volume", "fuelwood_volume",
                       "fuelwood_parts_volume", "wood_density", "disturbed_fraction",
                       "disturbance_type", "disturbance_table"});
        m_cfg.flux_line = line_of(node);
        if (!f.count("method")) {
            missing("models.flux.method", node);
            return;
        }
        if (!scalar(f["method"], "models.flux.method", m_cfg.flux_method)) {
            return;
        }
        if (m_cfg.flux_method != "gain_loss") {
            const std::string hint = closest_match(m_cfg.flux_method, {"gain_loss"});
            m_p.error("invalid config value models.flux.method: " + m_cfg.at(line_of(f["method"])) +
                      ": unknown method \"" + m_cfg.flux_method + "\"; available: gain_loss" +
                      (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
            m_cfg.flux_method.clear();
            return;
        }
        const std::vector<std::string> growths = {"tier1", "volume_increment"};
        if (!f.count("growth")) {
            missing("models.flux.growth", node);
        } else if (scalar(f["growth"], "models.flux.growth", m_cfg.flux_growth) &&
                   std::find(growths.begin(), growths.end(), m_cfg.flux_growth) == growths.end()) {
            const std::string hint = closest_match(m_cfg.flux_growth, growths);
            m_p.error("invalid config value models.flux.growth: " + m_cfg.at(line_of(f["growth"])) +
                      ": unknown growth \"" + m_cfg.flux_growth +
                      "\"; available: tier1 (IPCC Tier 1 growth by forest type and age), "
                      "volume_increment (I_V x BCEF_I)" +
                      (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
        }
        if (f.count("pools")) {
            m_cfg.flux_pools_line = line_of(f["pools"]);
            string_list(f["pools"], "models.flux.pools", m_cfg.flux_pools);
        }
        if (f.count("forest_classes")) {
            const YAML::Node &fc = f["forest_classes"];
            if (!fc.IsSequence() || fc.size() == 0) {
                m_p.error(
                    "invalid config value models.flux.forest_classes: " + m_cfg.at(line_of(fc)) +
                    ": expected a list of land-cover codes, e.g. [2], got " + kind(fc));
            } else {
                for (std::size_t i = 0; i < fc.size(); ++i) {
                    int64_t code = 0;
                    if (integer(fc[i], "models.flux.forest_classes[" + std::to_string(i) + "]",
                                INT32_MIN, INT32_MAX, code)) {
                        m_cfg.flux_forest_classes.push_back(static_cast<int32_t>(code));
                    }
                }
            }
        }
        const bool tier1 = m_cfg.flux_growth == "tier1";
        const bool volume = m_cfg.flux_growth == "volume_increment";
        auto only_for = [&](const char *key, const char *growth) {
            if (f.count(key)) {
                m_p.error("invalid config key \"models.flux." + std::string(key) +
                          "\": " + m_cfg.at(line_of(f[key])) + ": it belongs to growth " + growth +
                          ", not " + m_cfg.flux_growth);
            }
        };
        if (volume) {
            only_for("growth_table", "tier1");
            only_for("age", "tier1");
            only_for("forest_type", "tier1 (volume_increment uses models.stocks.forest_type)");
            if (!f.count("volume_increment")) {
                missing("models.flux.volume_increment", node);
            } else {
                single_layer(f["volume_increment"], "models.flux.volume_increment",
                             "volume_increment");
            }
        }
        if (tier1) {
            only_for("volume_increment", "volume_increment");
            if (!f.count("growth_table")) {
                missing("models.flux.growth_table", node);
            } else if (scalar(f["growth_table"], "models.flux.growth_table",
                              m_cfg.growth_table_as_written)) {
                m_cfg.growth_table = resolve(m_cfg.growth_table_as_written);
                m_cfg.growth_table_line = line_of(f["growth_table"]);
            }
            if (!f.count("age")) {
                missing("models.flux.age", node);
            } else {
                single_layer(f["age"], "models.flux.age", "stand_age");
            }
            if (f.count("forest_type")) {
                single_layer(f["forest_type"], "models.flux.forest_type", "flux_forest_type");
            }
        }
        flux_losses(f);
    }

    /// models.flux losses (IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.11-2.14): removal and fuelwood volumes,
    /// disturbed fraction and type per period, the fd table and the wood density.
    void flux_losses(std::map<std::string, YAML::Node> &f) {
        // Each is a model layer named like its key.
        for (const char *key : {"harvest_volume", "fuelwood_volume", "fuelwood_parts_volume",
                                "disturbed_fraction", "disturbance_type"}) {
            if (f.count(key)) {
                period_layer(f[key], std::string("models.flux.") + key, key);
            }
        }
        // BCEF_R (Eqs. 2.12, 2.13) comes with the inventory forest types; Tier 1 growth rows
        // have none.
        if (m_cfg.flux_growth == "tier1") {
            for (const char *key : {"harvest_volume", "fuelwood_volume", "fuelwood_parts_volume"}) {
                if (f.count(key)) {
                    m_p.error("invalid config key \"models.flux." + std::string(key) +
                              "\": " + m_cfg.at(line_of(f[key])) +
                              ": removed volumes need BCEF_R (IPCC 2006 Vol. 4 Ch. 2 Eqs. "
                              "2.12, 2.13), which the inventory forest types give: use growth "
                              "volume_increment, not tier1");
                }
            }
        }
        const bool parts = f.count("fuelwood_parts_volume") != 0;
        if (f.count("wood_density")) {
            const YAML::Node &n = f["wood_density"];
            m_cfg.wood_density_line = line_of(n);
            double d = 0.0;
            if (!parts) {
                m_p.error(
                    "invalid config key \"models.flux.wood_density\": " + m_cfg.at(line_of(n)) +
                    ": it is the basic wood density D of the fuelwood_parts_volume "
                    "(IPCC 2006 Vol. 4 Ch. 2 Eq. 2.13), which is not given");
            } else if (number(n, "models.flux.wood_density", d)) {
                if (!(d > 0.0 && d <= 1.5)) {
                    m_p.error("invalid config value models.flux.wood_density: " +
                              m_cfg.at(line_of(n)) + ": " + n.Scalar() +
                              " is not a basic wood density in (0, 1.5] t dry matter per m3");
                } else {
                    m_cfg.wood_density = d;
                }
            }
        } else if (parts) {
            m_p.error("missing config key \"models.flux.wood_density\": " +
                      m_cfg.at(line_of(f["fuelwood_parts_volume"])) +
                      ": fuelwood_parts_volume needs the basic wood density D (t dry matter per "
                      "m3, IPCC 2006 Vol. 4 Ch. 2 Eq. 2.13); there is no default");
        }
        // The disturbance inputs need each other.
        const char *dist_keys[] = {"disturbed_fraction", "disturbance_type", "disturbance_table"};
        const char *given = nullptr;
        for (const char *key : dist_keys) {
            if (f.count(key)) {
                given = key;
            }
        }
        if (given != nullptr) {
            for (const char *key : dist_keys) {
                if (!f.count(key)) {
                    m_p.error("missing config key \"models.flux." + std::string(key) +
                              "\": " + m_cfg.at(line_of(f[given])) +
                              ": disturbance losses (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.14) need "
                              "disturbed_fraction, disturbance_type and disturbance_table "
                              "together");
                }
            }
        }
        if (f.count("disturbance_table") &&
            scalar(f["disturbance_table"], "models.flux.disturbance_table",
                   m_cfg.disturbance_table_as_written)) {
            m_cfg.disturbance_table = resolve(m_cfg.disturbance_table_as_written);
            m_cfg.disturbance_table_line = line_of(f["disturbance_table"]);
        }
    }

    /// A layer given as one raster for every period, or as "<year>-<year>: path" for each
    /// period (a pair of consecutive epochs, checked in prepare).
    void period_layer(const YAML::Node &n, const std::string &path, const std::string &name) {
        LayerSpec layer;
        layer.name = name;
        layer.per_epoch = false;
        layer.line = line_of(n);
        if (n.IsScalar() && !n.Scalar().empty()) {
            layer.paths[0] = {resolve(n.Scalar()), n.Scalar(), layer.line, 0};
            m_cfg.layers.push_back(layer);
            return;
        }
        if (!n.IsMap() || n.size() == 0) {
            m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) +
                      ": expected a raster path (one for every period) or a mapping of "
                      "period: raster path, e.g. 2015-2020: harvest_2015_2020.tif, got " +
                      kind(n));
            return;
        }
        layer.per_epoch = true; // one per period, keyed by its first year
        for (const auto &kv : n) {
            std::string key;
            std::string file;
            if (!scalar(kv.first, path + " (period)", key)) {
                continue;
            }
            int y1 = 0;
            int y2 = 0;
            char dash = 0;
            char extra = 0;
            std::istringstream in(key);
            if (!(in >> y1 >> dash >> y2) || dash != '-' || (in >> extra) || y1 < 1 || y2 > 9999 ||
                y2 <= y1) {
                m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(kv.first)) +
                          ": period \"" + key +
                          "\" is not <first year>-<last year> of two consecutive land-cover "
                          "epochs, e.g. 2015-2020");
                continue;
            }
            if (!scalar(kv.second, path + "." + key, file)) {
                continue;
            }
            if (const auto it = layer.paths.find(y1); it != layer.paths.end()) {
                m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(kv.first)) +
                          ": period \"" + key +
                          "\" starts in the same year as the period of line " +
                          std::to_string(it->second.line) + "; give one raster per period");
                continue;
            }
            layer.paths[y1] = {resolve(file), file, line_of(kv.first), y2};
        }
        m_cfg.layers.push_back(layer);
    }

    /// A layer given as one raster per epoch: "year: path" for every epoch year.
    void layer_by_year(const YAML::Node &n, const std::string &path, const std::string &name) {
        if (!n.IsMap() || n.size() == 0) {
            m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) +
                      ": expected a mapping of year: raster path, one per land-cover epoch, got " +
                      kind(n));
            return;
        }
        LayerSpec layer;
        layer.name = name;
        layer.per_epoch = true;
        layer.line = line_of(n);
        for (const auto &kv : n) {
            int64_t year = 0;
            std::string file;
            if (!integer(kv.first, path + " (year)", 1, 9999, year) ||
                !scalar(kv.second, path + "." + std::to_string(year), file)) {
                continue;
            }
            layer.paths[static_cast<int>(year)] = {resolve(file), file, line_of(kv.first)};
        }
        m_cfg.layers.push_back(layer);
    }

    void categorical_resampling(const YAML::Node &n, const std::string &path, std::string &out) {
        std::string v;
        if (!scalar(n, path, v)) {
            return;
        }
        const std::vector<std::string> allowed = {"auto", "nearest", "mode"};
        if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
            const std::string hint = closest_match(v, allowed);
            m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) + ": \"" + v +
                      "\" is not one of auto, nearest, mode (categorical layers)" +
                      (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
            return;
        }
        out = v;
    }

    bool number(const YAML::Node &n, const std::string &path, double &out) {
        if (n.IsScalar()) {
            errno = 0;
            char *end = nullptr;
            const std::string s = n.Scalar();
            const double v = std::strtod(s.c_str(), &end);
            if (!s.empty() && errno == 0 && end == s.c_str() + s.size() && std::isfinite(v)) {
                out = v;
                return true;
            }
        }
        m_p.error("invalid config value " + path + ": " + m_cfg.at(line_of(n)) +
                  ": expected a number, got " + kind(n));
        return false;
    }

    void grid(const YAML::Node &n) {
        if (!require_map(n, "grid")) {
            return;
        }
        auto &g = m_cfg.grid;
        g.line = line_of(n);
        auto k = keys(n, "grid", {"strict", "crs", "resolution", "extent"});
        if (k.count("strict")) {
            boolean(k["strict"], "grid.strict", g.strict);
        }
        if (k.count("crs")) {
            scalar(k["crs"], "grid.crs", g.crs);
        }
        if (k.count("resolution") && number(k["resolution"], "grid.resolution", g.resolution) &&
            !(g.resolution > 0.0)) {
            m_p.error(
                "invalid config value grid.resolution: " + m_cfg.at(line_of(k["resolution"])) +
                ": " + k["resolution"].Scalar() + " is not a positive pixel size");
        }
        if (k.count("extent")) {
            const YAML::Node &e = k["extent"];
            if (!e.IsSequence() || e.size() != 4) {
                m_p.error("invalid config value grid.extent: " + m_cfg.at(line_of(e)) +
                          ": expected [xmin, ymin, xmax, ymax], got " + kind(e));
            } else {
                for (std::size_t i = 0; i < 4; ++i) {
                    double v = 0.0;
                    if (number(e[i], "grid.extent[" + std::to_string(i) + "]", v)) {
                        g.extent.push_back(v);
                    }
                }
                if (g.extent.size() == 4 &&
                    (g.extent[0] >= g.extent[2] || g.extent[1] >= g.extent[3])) {
                    m_p.error("invalid config value grid.extent: " + m_cfg.at(line_of(e)) +
                              ": xmin must be below xmax and ymin below ymax");
                }
            }
        }
        if ((!g.crs.empty() || !g.extent.empty()) && k.count("resolution") == 0) {
            m_p.error("missing config key \"grid.resolution\": " + m_cfg.at(g.line) +
                      ": a grid override (crs or extent) needs the pixel size");
        }
    }

    void processing(const YAML::Node &n) {
        if (!require_map(n, "processing")) {
            return;
        }
        auto k = keys(n, "processing", {"block_cells", "tile_size", "checkpoint"});
        if (k.count("checkpoint")) {
            boolean(k["checkpoint"], "processing.checkpoint", m_cfg.checkpoint);
        }
        if (k.count("block_cells")) {
            int64_t v = 0;
            if (integer(k["block_cells"], "processing.block_cells", 256, Config::MAX_BLOCK_CELLS,
                        v)) {
                m_cfg.block_cells = v;
                m_cfg.block_cells_line = line_of(k["block_cells"]);
            }
        }
        if (k.count("tile_size")) {
            int64_t v = 0;
            if (integer(k["tile_size"], "processing.tile_size", 16, 4096, v)) {
                if (v % 16 != 0) {
                    m_p.error("invalid config value processing.tile_size: " +
                              m_cfg.at(line_of(k["tile_size"])) + ": " + std::to_string(v) +
                              " is not a multiple of 16 (GeoTIFF tiles must be)");
                } else {
                    m_cfg.tile_size = static_cast<int>(v);
                }
            }
        }
    }

    void outputs(const YAML::Node &n) {
        if (!require_map(n, "outputs")) {
            return;
        }
        auto k = keys(n, "outputs",
                      {"rasters", "compression", "transitions", "method_codes", "monthly_rasters",
                       "geopackage", "xlsx", "report", "pool_rasters", "overviews"});
        if (k.count("pool_rasters")) {
            boolean(k["pool_rasters"], "outputs.pool_rasters", m_cfg.write_pool_rasters);
        }
        if (k.count("overviews")) {
            boolean(k["overviews"], "outputs.overviews", m_cfg.write_overviews);
        }
        if (k.count("geopackage")) {
            boolean(k["geopackage"], "outputs.geopackage", m_cfg.write_geopackage);
        }
        if (k.count("xlsx")) {
            boolean(k["xlsx"], "outputs.xlsx", m_cfg.write_xlsx);
        }
        if (k.count("report")) {
            boolean(k["report"], "outputs.report", m_cfg.write_report);
        }
        if (k.count("monthly_rasters")) {
            boolean(k["monthly_rasters"], "outputs.monthly_rasters", m_cfg.write_monthly_rasters);
            m_monthly_rasters_line = line_of(k["monthly_rasters"]);
        }
        if (k.count("rasters")) {
            boolean(k["rasters"], "outputs.rasters", m_cfg.write_rasters);
        }
        if (k.count("transitions")) {
            boolean(k["transitions"], "outputs.transitions", m_cfg.write_transitions);
        }
        if (k.count("method_codes")) {
            boolean(k["method_codes"], "outputs.method_codes", m_cfg.write_method_codes);
            if (m_cfg.write_method_codes && !m_cfg.write_rasters) {
                m_p.error("invalid config value outputs.method_codes: " +
                          m_cfg.at(line_of(k["method_codes"])) +
                          ": method rasters are written with the stock rasters; set "
                          "outputs.rasters to true or method_codes to false");
            }
        }
        if (k.count("compression")) {
            std::string c;
            if (scalar(k["compression"], "outputs.compression", c)) {
                std::string up = c;
                std::transform(up.begin(), up.end(), up.begin(), [](unsigned char ch) {
                    return static_cast<char>(std::toupper(ch));
                });
                const std::vector<std::string> allowed = {"DEFLATE", "LZW", "ZSTD", "NONE"};
                if (std::find(allowed.begin(), allowed.end(), up) == allowed.end()) {
                    const std::string hint = closest_match(up, allowed);
                    m_p.error("invalid config value outputs.compression: " +
                              m_cfg.at(line_of(k["compression"])) + ": \"" + c +
                              "\" is not one of DEFLATE, LZW, ZSTD, NONE" +
                              (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
                } else {
                    m_cfg.compression = up;
                }
            }
        }
    }

    void uncertainty(const YAML::Node &n) {
        if (!require_map(n, "uncertainty")) {
            return;
        }
        auto &u = m_cfg.uncertainty;
        u.present = true;
        u.line = line_of(n);
        auto k = keys(n, "uncertainty",
                      {"method", "draws", "seed", "confidence", "parameters", "assume_exact",
                       "land_cover_accuracy"});
        if (k.count("method")) {
            std::string m;
            if (scalar(k["method"], "uncertainty.method", m)) {
                u.method_line = line_of(k["method"]);
                if (m == "monte_carlo") {
                    u.method = models::UncertaintyMethod::monte_carlo;
                } else if (m == "error_propagation") {
                    u.method = models::UncertaintyMethod::error_propagation;
                } else {
                    const std::string hint = closest_match(m, {"monte_carlo", "error_propagation"});
                    m_p.error("invalid config value uncertainty.method: " +
                              m_cfg.at(u.method_line) + ": \"" + m +
                              "\" is not one of monte_carlo (IPCC Approach 2), error_propagation "
                              "(IPCC Approach 1)" +
                              (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
                }
            }
        }
        if (k.count("draws")) {
            int64_t v = 0;
            if (integer(k["draws"], "uncertainty.draws", 2, UncertaintyConfig::MAX_DRAWS, v)) {
                u.draws = static_cast<std::size_t>(v);
                u.draws_line = line_of(k["draws"]);
            }
            if (u.method == models::UncertaintyMethod::error_propagation) {
                m_p.error(
                    "invalid config value uncertainty.draws: " + m_cfg.at(line_of(k["draws"])) +
                    ": error_propagation (IPCC Approach 1) draws nothing; remove draws or "
                    "use method monte_carlo");
            }
        }
        if (k.count("seed")) {
            const YAML::Node &s = k["seed"];
            u.seed_line = line_of(s);
            bool ok = false;
            if (s.IsScalar() && !s.Scalar().empty() &&
                s.Scalar().find_first_not_of("0123456789") == std::string::npos &&
                s.Scalar().size() <= 20) {
                errno = 0;
                char *end = nullptr;
                const unsigned long long v = std::strtoull(s.Scalar().c_str(), &end, 10);
                if (errno == 0 && end == s.Scalar().c_str() + s.Scalar().size()) {
                    u.seed = v;
                    ok = true;
                }
            }
            if (!ok) {
                m_p.error("invalid config value uncertainty.seed: " + m_cfg.at(u.seed_line) +
                          ": expected a whole number from 0 to 18446744073709551615, got " +
                          kind(s));
            }
        }
        if (k.count("confidence")) {
            double c = 0.0;
            if (number(k["confidence"], "uncertainty.confidence", c)) {
                u.confidence_line = line_of(k["confidence"]);
                if (!(c > 0.0 && c < 1.0)) {
                    m_p.error("invalid config value uncertainty.confidence: " +
                              m_cfg.at(u.confidence_line) + ": " + k["confidence"].Scalar() +
                              " is not a probability between 0 and 1 (0.95 for a 95 % interval)");
                } else {
                    u.confidence = c;
                }
            }
        }
        if (k.count("parameters")) {
            uncertainty_parameters(k["parameters"]);
        }
        if (k.count("assume_exact")) {
            const YAML::Node &a = k["assume_exact"];
            if (!a.IsSequence()) {
                m_p.error("invalid config value uncertainty.assume_exact: " + m_cfg.at(line_of(a)) +
                          ": expected a list of parameter names, got " + kind(a));
            } else {
                for (const auto &item : a) {
                    std::string name;
                    if (scalar(item, "uncertainty.assume_exact", name)) {
                        u.assume_exact.push_back({name, line_of(item)});
                    }
                }
            }
        }
        if (k.count("land_cover_accuracy")) {
            const YAML::Node &a = k["land_cover_accuracy"];
            if (require_map(a, "uncertainty.land_cover_accuracy")) {
                for (const auto &kv : a) {
                    const std::string year_text = kv.first.Scalar();
                    const int line = line_of(kv.first);
                    int year = 0;
                    bool known = false;
                    for (const auto &e : m_cfg.epochs) {
                        if (std::to_string(e.year) == year_text) {
                            year = e.year;
                            known = true;
                        }
                    }
                    if (!known) {
                        std::string years;
                        for (const auto &e : m_cfg.epochs) {
                            years += (years.empty() ? "" : ", ") + std::to_string(e.year);
                        }
                        m_p.error("invalid config value uncertainty.land_cover_accuracy: " +
                                  m_cfg.at(line) + ": \"" + year_text +
                                  "\" is not an epoch of land_cover.epochs (" + years + ")");
                        continue;
                    }
                    bool dup = false;
                    for (const auto &prev : u.land_cover_accuracy) {
                        dup = dup || prev.year == year;
                    }
                    if (dup) {
                        m_p.error("duplicate config key \"uncertainty.land_cover_accuracy." +
                                  year_text + "\": " + m_cfg.at(line) + ": the key is given twice");
                        continue;
                    }
                    std::string path;
                    if (scalar(kv.second, "uncertainty.land_cover_accuracy." + year_text, path)) {
                        u.land_cover_accuracy.push_back({year, resolve(path), path, line});
                    }
                }
                std::sort(u.land_cover_accuracy.begin(), u.land_cover_accuracy.end(),
                          [](const auto &a1, const auto &a2) { return a1.year < a2.year; });
            }
        }
        // A name both given a distribution and declared exact is a contradiction.
        for (const auto &e : u.assume_exact) {
            for (const auto &p : u.parameters) {
                if (p.name == e.name) {
                    m_p.error("invalid config value uncertainty.assume_exact: " + m_cfg.at(e.line) +
                              ": \"" + e.name +
                              "\" also has a distribution under uncertainty.parameters (" +
                              m_cfg.at(p.line) + "); keep one");
                }
            }
        }
    }

    /// uncertainty.parameters: name -> {distribution, sd | u_pct, low, high, mode, source}.
    void uncertainty_parameters(const YAML::Node &n) {
        if (!require_map(n, "uncertainty.parameters")) {
            return;
        }
        auto &u = m_cfg.uncertainty;
        std::set<std::string> seen;
        for (const auto &kv : n) {
            const std::string name = kv.first.Scalar();
            const std::string path = "uncertainty.parameters.\"" + name + "\"";
            const int line = line_of(kv.first);
            if (!seen.insert(name).second) {
                m_p.error("duplicate config key uncertainty.parameters \"" + name +
                          "\": " + m_cfg.at(line) + ": the key is given twice");
                continue;
            }
            if (!require_map(kv.second, path)) {
                continue;
            }
            auto k = keys(kv.second, path,
                          {"distribution", "sd", "u_pct", "low", "high", "mode", "source"});
            UncertaintyConfig::Parameter p;
            p.name = name;
            p.line = line;
            bool ok = true;
            std::string dist;
            if (!k.count("distribution")) {
                missing(path + ".distribution", kv.second);
                ok = false;
            } else if (scalar(k["distribution"], path + ".distribution", dist)) {
                const std::vector<std::string> names = {"normal", "lognormal", "truncated_normal",
                                                        "uniform", "triangular"};
                const models::Distribution kinds[] = {
                    models::Distribution::normal, models::Distribution::lognormal,
                    models::Distribution::truncated_normal, models::Distribution::uniform,
                    models::Distribution::triangular};
                const auto it = std::find(names.begin(), names.end(), dist);
                if (it == names.end()) {
                    const std::string hint = closest_match(dist, names);
                    m_p.error("invalid config value " + path +
                              ".distribution: " + m_cfg.at(line_of(k["distribution"])) + ": \"" +
                              dist + "\" is not one of " + join(names) +
                              (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
                    ok = false;
                } else {
                    p.pdf.kind = kinds[it - names.begin()];
                }
            } else {
                ok = false;
            }
            if (!k.count("source")) {
                m_p.error("missing config key \"" + path + ".source\": " + m_cfg.at(line) +
                          ": say where the distribution comes from (a publication, table or "
                          "expert judgement); it is stored in the provenance");
                ok = false;
            } else if (!scalar(k["source"], path + ".source", p.source)) {
                ok = false;
            }
            auto num = [&](const char *key, double &out) {
                if (!k.count(key)) {
                    return false;
                }
                if (!number(k[key], path + "." + key, out)) {
                    ok = false;
                    return false;
                }
                return true;
            };
            const bool has_sd = num("sd", p.pdf.sd);
            const bool has_u = num("u_pct", p.u_pct);
            p.low_given = num("low", p.pdf.low);
            p.high_given = num("high", p.pdf.high);
            p.mode_given = num("mode", p.pdf.mode);
            if (!ok) {
                continue;
            }
            const auto bad = [&](const std::string &why) {
                m_p.error("invalid config value " + path + ": " + m_cfg.at(line) + ": " + why);
                ok = false;
            };
            using D = models::Distribution;
            const D d = p.pdf.kind;
            const bool spread = d == D::normal || d == D::lognormal || d == D::truncated_normal;
            if (spread) {
                if (has_sd == has_u) {
                    bad(dist + " needs its spread: give sd (in the parameter's unit) or u_pct (the "
                               "95 % half-width as % of the value), one of them");
                } else if (has_sd && p.pdf.sd < 0.0) {
                    bad("sd " + k["sd"].Scalar() + " is negative (a standard deviation is >= 0)");
                } else if (has_u && p.u_pct < 0.0) {
                    bad("u_pct " + k["u_pct"].Scalar() + " is negative (a half-width is >= 0)");
                }
                if (d != D::truncated_normal && (p.low_given || p.high_given)) {
                    bad(dist + " takes no low or high (use truncated_normal to bound it)");
                }
                if (p.mode_given) {
                    bad("mode belongs to a triangular distribution, not " + dist);
                }
                if (d == D::truncated_normal && p.low_given && p.high_given &&
                    !(p.pdf.low < p.pdf.high)) {
                    bad("low " + k["low"].Scalar() + " is not below high " + k["high"].Scalar());
                }
            } else {
                if (has_sd || has_u) {
                    bad(dist + " is given by low and high" +
                        (d == D::triangular ? std::string(" (and mode)") : std::string()) +
                        ", not by sd or u_pct");
                } else if (!p.low_given || !p.high_given) {
                    bad(dist + " needs low and high");
                } else if (!(p.pdf.low < p.pdf.high)) {
                    bad("low " + k["low"].Scalar() + " is not below high " + k["high"].Scalar());
                } else if (d == D::uniform && p.mode_given) {
                    bad("mode belongs to a triangular distribution, not uniform");
                } else if (d == D::triangular && p.mode_given &&
                           !(p.pdf.mode >= p.pdf.low && p.pdf.mode <= p.pdf.high)) {
                    bad("mode " + k["mode"].Scalar() + " is outside [low, high]");
                }
            }
            if (ok) {
                u.parameters.push_back(std::move(p));
            }
        }
    }

private:
    Config &m_cfg;
    Problems &m_p;
    int m_monthly_rasters_line = 0;
};

/// A config beyond one of the limits of config.hpp, at `mark`.
struct LimitExceeded {
    YAML::Mark mark;
    std::string why;
};

/// Walks the YAML events of the first document (the one YAML::Load reads) and throws
/// LimitExceeded at the first collection nested deeper than MAX_CONFIG_DEPTH or the first
/// scalar longer than MAX_CONFIG_SCALAR_BYTES, so the tree is never built for such a text.
class LimitCheck : public YAML::EventHandler {
public:
    void OnDocumentStart(const YAML::Mark &) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark &, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark &, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
                  const std::string &value) override {
        if (value.size() > MAX_CONFIG_SCALAR_BYTES) {
            throw LimitExceeded{mark, "a value of " + std::to_string(value.size()) +
                                          " bytes is longer than the " +
                                          std::to_string(MAX_CONFIG_SCALAR_BYTES) +
                                          " bytes a config value may have"};
        }
    }
    void OnSequenceStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        enter(mark);
    }
    void OnSequenceEnd() override { --m_depth; }
    void OnMapStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        enter(mark);
    }
    void OnMapEnd() override { --m_depth; }

private:
    void enter(const YAML::Mark &mark) {
        if (++m_depth > MAX_CONFIG_DEPTH) {
            throw LimitExceeded{mark, "lists and mappings are nested more than " +
                                          std::to_string(MAX_CONFIG_DEPTH) +
                                          " deep (the limit of a config)"};
        }
    }
    int m_depth = 0;
};

} // namespace

std::string join_os_path(const std::string &base, const std::string &path) {
    const bool absolute = !path.empty() && path[0] == '/';
    const std::string whole = absolute || base.empty() ? path : base + "/" + path;
    // Drop "." components and repeated slashes only: neither changes which file the system
    // opens (a trailing "." on a non-directory aside), while collapsing ".." would.
    std::string out;
    std::size_t i = 0;
    const bool rooted = !whole.empty() && whole[0] == '/';
    while (i < whole.size()) {
        const std::size_t j = std::min(whole.find('/', i), whole.size());
        const std::string part = whole.substr(i, j - i);
        if (!part.empty() && part != ".") {
            out += (out.empty() && !rooted ? "" : "/") + part;
        }
        i = j + 1;
    }
    if (out.empty()) {
        return rooted ? "/" : ".";
    }
    return out;
}

std::string config_base_dir(const std::string &config_path) {
    struct stat st = {};
    if (::stat(config_path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        return ""; // a pipe, <(...), a terminal or another device: no folder of its own
    }
    const std::string parent = fs::path(config_path).parent_path().string();
    // /dev/stdin, /dev/fd/N, /proc/self/fd/N name a file descriptor, not a folder of inputs,
    // even when what is behind them is a regular file (`carbonsink run /dev/stdin < run.yaml`).
    std::error_code ec;
    const std::string real = parent.empty() ? std::string() : fs::canonical(parent, ec).string();
    for (const char *root : {"/dev", "/proc"}) {
        const std::string r = root;
        if (!ec && (real == r || real.rfind(r + "/", 0) == 0)) {
            return "";
        }
    }
    return parent;
}

std::string describe_non_utf8_config(const std::string &text) {
    auto starts = [&](std::initializer_list<unsigned char> bom) {
        if (text.size() < bom.size()) {
            return false;
        }
        std::size_t i = 0;
        for (unsigned char b : bom) {
            if (static_cast<unsigned char>(text[i++]) != b) {
                return false;
            }
        }
        return true;
    };
    // UTF-32 first: its little-endian mark begins with UTF-16's.
    if (starts({0xFF, 0xFE, 0x00, 0x00})) {
        return "starts with a UTF-32 little-endian byte-order mark";
    }
    if (starts({0x00, 0x00, 0xFE, 0xFF})) {
        return "starts with a UTF-32 big-endian byte-order mark";
    }
    if (starts({0xFF, 0xFE})) {
        return "starts with a UTF-16 little-endian byte-order mark";
    }
    if (starts({0xFE, 0xFF})) {
        return "starts with a UTF-16 big-endian byte-order mark";
    }
    const raster::Utf8Problem p = raster::find_invalid_utf8(text);
    if (!p.found) {
        return {};
    }
    if (p.byte == 0) {
        // UTF-16 without a mark: every other byte of ASCII text is NUL.
        return "it holds a NUL byte at line " + std::to_string(p.line) + ", column " +
               std::to_string(p.column) +
               (p.offset <= 1 ? " (UTF-16 text without a byte-order mark?)" : "");
    }
    return "invalid " + p.where();
}

std::vector<std::string> nep_layer_names(const std::string &method) {
    if (method == "casa") {
        return {"ndvi", "temperature_c", "precipitation_mm", "solar_mj_per_m2", "et_mm", "pet_mm"};
    }
    if (method == "npp_raster") {
        return {"npp_g_c_per_m2", "temperature_c", "precipitation_mm"};
    }
    return {};
}

Config parse_config(const std::string &text, const std::string &path, Problems &problems) {
    Config cfg;
    cfg.config_path = path;
    cfg.config_text = text;
    cfg.base_dir = config_base_dir(path);
    if (text.size() > MAX_CONFIG_BYTES) {
        problems.error("cannot parse config: " + cfg.at(0) + ": the text has " +
                       std::to_string(text.size()) + " bytes, more than the 1 MiB (" +
                       std::to_string(MAX_CONFIG_BYTES) + " bytes) a config may have");
        return cfg;
    }
    // The text is stored whole in results.h5 (a UTF-8 string attribute): bytes that are not
    // UTF-8 text would be cut at the first NUL or garbled, so they are refused here.
    if (const std::string why = describe_non_utf8_config(text); !why.empty()) {
        problems.error("config is not UTF-8 text: " + cfg.at(0) + ": " + why +
                       "; save it as UTF-8");
        return cfg;
    }
    YAML::Node root;
    try {
        std::istringstream in(text);
        YAML::Parser events(in);
        LimitCheck limits;
        events.HandleNextDocument(limits);
        root = YAML::Load(text);
    } catch (const LimitExceeded &e) {
        problems.error("cannot parse config: " + cfg.at(e.mark.line + 1) + ", column " +
                       std::to_string(e.mark.column + 1) + ": " + e.why);
        return cfg;
    } catch (const YAML::Exception &e) {
        problems.error("cannot parse config: " + cfg.at(e.mark.line + 1) + ", column " +
                       std::to_string(e.mark.column + 1) + ": " + e.msg);
        return cfg;
    }
    Parser(cfg, problems).parse(root);
    return cfg;
}

Config load_config(const std::string &path, Problems &problems) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        Config cfg;
        cfg.config_path = path;
        problems.error("cannot read config: " + path + ": " +
                       (fs::exists(path) ? "permission denied or not a file" : "file not found"));
        return cfg;
    }
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (!ec && size > MAX_CONFIG_BYTES) {
        Config cfg;
        cfg.config_path = path;
        problems.error("cannot read config: " + path + ": the file has " + std::to_string(size) +
                       " bytes, more than the 1 MiB (" + std::to_string(MAX_CONFIG_BYTES) +
                       " bytes) a config may have");
        return cfg;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), path, problems);
}

} // namespace cs::pipeline
