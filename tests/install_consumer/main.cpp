// Consumer of an installed libcarbonsink (tests/install_test.sh): validate and run a config
// through the public API, print "<district id> <year> <total Mg C>" per district and epoch (the
// test compares them with districts.csv of the CLI's run) and the library's version.
//
// usage: consumer CONFIG.yaml OUTPUT_DIR
#include <carbonsink/carbonsink.hpp>

#include <cstdio>

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: consumer CONFIG.yaml OUTPUT_DIR\n");
        return 2;
    }
    try {
        const auto config = carbonsink::ConfigSource::file(argv[1]);
        const carbonsink::Validation v = carbonsink::validate(config, 1);
        if (!v.ok) {
            for (const auto &e : v.errors) {
                std::fprintf(stderr, "error: %s\n", e.c_str());
            }
            return 2;
        }
        carbonsink::RunOptions options;
        options.threads = 1;
        options.output_dir = argv[2];
        const carbonsink::Results r = carbonsink::run(config, options);
        std::printf("version %s\n", carbonsink::version().c_str());
        const carbonsink::LevelResults &d = r.levels.at(0);
        const std::size_t epochs = r.years.size();
        for (std::size_t i = 0; i < d.ids.size(); ++i) {
            for (std::size_t e = 0; e < epochs; ++e) {
                std::printf("%lld %d %.6f\n", static_cast<long long>(d.ids[i]), r.years[e],
                            d.total_mg_c[i * epochs + e]);
            }
        }
    } catch (const carbonsink::Error &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return e.exit_code();
    }
    return 0;
}
