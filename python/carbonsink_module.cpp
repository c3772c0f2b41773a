// The C++ extension _carbonsink of the Python package carbonsink: the public API
// (include/carbonsink/carbonsink.hpp) with numpy arrays, the GIL released while computing and
// Ctrl-C turned into RunOptions::cancel.
//
// Theory of operation of run(): carbonsink::run() executes on a C++ thread of its own. The
// calling (Python) thread waits for it with the GIL released, in slices of WAIT_SLICE; after
// each slice it takes the GIL back to (1) hand the progress events the worker queued to the
// Python callback, on the calling thread, and (2) call PyErr_CheckSignals(), which runs Python's
// signal handlers (SIGINT raises KeyboardInterrupt). When a handler or the callback raises, the
// run's cancel flag is set, the worker is joined (it stops between blocks, keeps its checkpoint
// and commits nothing: carbonsink.hpp RunOptions::cancel) and the Python exception propagates.
// The worker never touches Python objects, so it never needs the GIL.
#include <carbonsink/carbonsink.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace {

/// How long the calling thread waits with the GIL released before it looks at signals and
/// progress again: short enough that Ctrl-C feels immediate.
constexpr std::chrono::milliseconds WAIT_SLICE{50};

/// The Python exception type carbonsink.Error (created in PYBIND11_MODULE).
PyObject *g_error_type = nullptr;

const char *kind_name(carbonsink::Error::Kind kind) {
    switch (kind) {
    case carbonsink::Error::Kind::invalid:
        return "invalid";
    case carbonsink::Error::Kind::failed:
        return "failed";
    case carbonsink::Error::Kind::cancelled:
        return "cancelled";
    }
    return "failed";
}

/// Raise carbonsink.Error(message) with the attributes kind, messages and exit_code; its text
/// is every message, one a line (the first is what()).
void set_python_error(const carbonsink::Error &e) {
    std::string text;
    for (const std::string &m : e.messages()) {
        text += (text.empty() ? "" : "\n") + m;
    }
    if (text.empty()) {
        text = e.what();
    }
    py::object inst = py::reinterpret_borrow<py::object>(g_error_type)(text);
    inst.attr("kind") = kind_name(e.kind());
    inst.attr("messages") = py::cast(e.messages());
    inst.attr("notes") = py::cast(e.notes());
    inst.attr("exit_code") = e.exit_code();
    PyErr_SetObject(g_error_type, inst.ptr());
}

carbonsink::ConfigSource source_of(const std::optional<std::string> &path,
                                   const std::optional<std::string> &text,
                                   const std::string &base_dir) {
    if (path) {
        return carbonsink::ConfigSource::file(*path);
    }
    return carbonsink::ConfigSource::yaml(text.value_or(std::string()), base_dir);
}

/// A 1-D or N-D float64 array copying `values`, shaped `shape` (row-major as the API stores it).
py::array_t<double> array_of(const std::vector<double> &values, std::vector<py::ssize_t> shape) {
    py::ssize_t n = 1;
    for (py::ssize_t s : shape) {
        n *= s;
    }
    if (n != static_cast<py::ssize_t>(values.size())) {
        // A figure whose length does not match its documented shape: keep the numbers flat
        // rather than fail the whole run.
        shape = {static_cast<py::ssize_t>(values.size())};
    }
    py::array_t<double> a(shape);
    std::copy(values.begin(), values.end(), a.mutable_data());
    return a;
}

/// One level as a dict of numpy arrays (carbonsink/__init__.py wraps it in a Level).
py::dict level_dict(const carbonsink::LevelResults &lv, py::ssize_t E, py::ssize_t P,
                    py::ssize_t M) {
    const auto D = static_cast<py::ssize_t>(lv.ids.size());
    const py::ssize_t K = E > 0 ? E - 1 : 0;
    py::dict d;
    d["level"] = lv.level;
    py::array_t<int64_t> ids(D);
    std::copy(lv.ids.begin(), lv.ids.end(), ids.mutable_data());
    d["ids"] = ids;
    d["names"] = py::cast(lv.names);
    d["names_en"] = py::cast(lv.names_en);
    d["area_ha"] = array_of(lv.area_ha, {D});
    d["stock_mg_c"] = array_of(lv.stock_mg_c, {D, E, P});
    d["total_mg_c"] = array_of(lv.total_mg_c, {D, E});
    d["valid_area_ha"] = array_of(lv.valid_area_ha, {D, E});
    d["stock_change_mg_c_per_yr"] = array_of(lv.stock_change_mg_c_per_yr, {D, K});
    d["net_emissions_mg_co2_per_yr"] = array_of(lv.net_emissions_mg_co2_per_yr, {D, K});
    py::dict monthly;
    for (const auto &[name, values] : lv.monthly) {
        monthly[py::str(name)] = array_of(values, {D, M});
    }
    d["monthly"] = monthly;
    // Intervals have the shape of their figure (carbonsink.hpp LevelResults::uncertainty).
    auto shape_of = [&](const std::string &name) -> std::vector<py::ssize_t> {
        if (name == "stock_mg_c") {
            return {D, E, P};
        }
        if (name == "total_mg_c") {
            return {D, E};
        }
        if (name == "stock_change_mg_c_per_yr" || name == "net_emissions_mg_co2_per_yr") {
            return {D, K};
        }
        if (lv.monthly.count(name) != 0) {
            return {D, M};
        }
        return {D, D > 0 ? -1 : 0};
    };
    py::dict uncertainty;
    for (const auto &[name, iv] : lv.uncertainty) {
        std::vector<py::ssize_t> shape = shape_of(name);
        if (shape.size() == 2 && shape[1] == -1) {
            shape[1] = static_cast<py::ssize_t>(iv.mean.size()) / D;
        }
        py::dict parts;
        parts["mean"] = array_of(iv.mean, shape);
        parts["sd"] = array_of(iv.sd, shape);
        parts["ci_low"] = array_of(iv.ci_low, shape);
        parts["ci_high"] = array_of(iv.ci_high, shape);
        uncertainty[py::str(name)] = parts;
    }
    d["uncertainty"] = uncertainty;
    d["uncertainty_label"] = lv.uncertainty_label;
    return d;
}

py::dict results_dict(const carbonsink::Results &r) {
    const auto E = static_cast<py::ssize_t>(r.years.size());
    const auto P = static_cast<py::ssize_t>(r.pools.size());
    const auto M = static_cast<py::ssize_t>(r.months.size());
    py::dict d;
    d["output_dir"] = r.output_dir;
    py::array_t<int32_t> years(E);
    std::copy(r.years.begin(), r.years.end(), years.mutable_data());
    d["years"] = years;
    d["pools"] = py::cast(r.pools);
    d["months"] = py::cast(r.months);
    d["warnings"] = py::cast(r.warnings);
    d["outputs"] = py::cast(r.outputs);
    py::list levels;
    for (const carbonsink::LevelResults &lv : r.levels) {
        levels.append(level_dict(lv, E, P, M));
    }
    d["levels"] = levels;
    return d;
}

py::tuple validate(std::optional<std::string> path, std::optional<std::string> text,
                   const std::string &base_dir, int threads) {
    const carbonsink::ConfigSource src = source_of(path, text, base_dir);
    carbonsink::Validation v;
    {
        py::gil_scoped_release unlocked;
        v = carbonsink::validate(src, threads);
    }
    return py::make_tuple(v.errors, v.warnings, v.summary);
}

/// What the worker thread and the calling thread share during one run().
struct RunState {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<carbonsink::ProgressEvent> events;
    bool done = false;
    std::optional<carbonsink::Results> results;
    std::exception_ptr error;
    std::atomic<bool> cancel{false};
};

py::dict run(std::optional<std::string> path, std::optional<std::string> text,
             const std::string &base_dir, int threads, std::optional<std::string> output_dir,
             bool resume, py::object progress) {
    auto state = std::make_shared<RunState>();
    const carbonsink::ConfigSource src = source_of(path, text, base_dir);
    carbonsink::RunOptions options;
    options.threads = threads;
    options.output_dir = output_dir.value_or(std::string());
    options.resume = resume;
    options.cancel = &state->cancel;
    const bool want_progress = !progress.is_none();
    if (want_progress) {
        // Called on the worker thread: queue only; the calling thread calls Python.
        options.progress = [state](const carbonsink::ProgressEvent &e) {
            {
                std::lock_guard<std::mutex> lock(state->mutex);
                state->events.push_back(e);
            }
            state->wake.notify_one();
        };
    }
    std::thread worker([state, src, options] {
        try {
            state->results = carbonsink::run(src, options);
        } catch (...) {
            state->error = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lock(state->mutex);
            state->done = true;
        }
        state->wake.notify_one();
    });
    // Whatever leaves this function (a Python exception included) stops and joins the worker
    // first, with the GIL released so that nothing it waits on can block on us.
    struct Joiner {
        RunState &state;
        std::thread &worker;
        ~Joiner() {
            if (worker.joinable()) {
                state.cancel = true;
                py::gil_scoped_release unlocked;
                worker.join();
            }
        }
    } joiner{*state, worker};

    for (;;) {
        std::deque<carbonsink::ProgressEvent> events;
        bool done = false;
        {
            py::gil_scoped_release unlocked;
            std::unique_lock<std::mutex> lock(state->mutex);
            state->wake.wait_for(lock, WAIT_SLICE,
                                 [&] { return state->done || !state->events.empty(); });
            events.swap(state->events);
            done = state->done;
        }
        for (const carbonsink::ProgressEvent &e : events) {
            // A raising callback propagates like Ctrl-C: the Joiner cancels and joins.
            progress(py::make_tuple(e.phase, e.detail, e.done, e.total));
        }
        if (PyErr_CheckSignals() != 0) {
            throw py::error_already_set();
        }
        if (done) {
            break;
        }
    }
    {
        py::gil_scoped_release unlocked;
        worker.join();
    }
    if (state->error) {
        std::rethrow_exception(state->error);
    }
    return results_dict(*state->results);
}

py::list models() {
    py::list out;
    for (const carbonsink::ModelInfo &m : carbonsink::models()) {
        py::dict d;
        d["name"] = m.name;
        d["section"] = m.section;
        d["method"] = m.method;
        d["summary"] = m.summary;
        d["inputs"] = py::cast(m.inputs);
        py::list params;
        for (const carbonsink::ParameterInfo &p : m.parameters) {
            py::dict pd;
            pd["name"] = p.name;
            pd["unit"] = p.unit;
            pd["description"] = p.description;
            pd["source"] = p.source;
            params.append(pd);
        }
        d["parameters"] = params;
        d["outputs"] = py::cast(m.outputs);
        d["reference"] = m.reference;
        out.append(d);
    }
    return out;
}

} // namespace

PYBIND11_MODULE(_carbonsink, m) {
    m.doc() = "carbonsink's C++ API; use the package carbonsink, not this module";
    // carbonsink.Error: a RuntimeError, as GDAL's Python bindings raise for library errors.
    g_error_type = PyErr_NewExceptionWithDoc(
        "carbonsink.Error",
        "A carbonsink failure. Attributes: kind ('invalid': bad config or input; 'failed': "
        "failure while running, e.g. I/O; 'cancelled'), messages (list of str, the lines the "
        "CLI prints after 'error: '), notes (the lines it prints after 'note: ', e.g. how to "
        "resume), exit_code (the CLI's: 2, 1 or 130).",
        PyExc_RuntimeError, nullptr);
    if (g_error_type == nullptr) {
        throw py::error_already_set();
    }
    m.add_object("Error", py::reinterpret_borrow<py::object>(g_error_type));
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) {
                std::rethrow_exception(p);
            }
        } catch (const carbonsink::Error &e) {
            set_python_error(e);
        }
    });
    m.def("version", &carbonsink::version, "The project version, e.g. '0.1.0'.");
    m.def("validate", &validate, py::arg("path"), py::arg("text"), py::arg("base_dir"),
          py::arg("threads"), "(errors, warnings, summary) of carbonsink::validate.");
    m.def("run", &run, py::arg("path"), py::arg("text"), py::arg("base_dir"), py::arg("threads"),
          py::arg("output_dir"), py::arg("resume"), py::arg("progress"),
          "carbonsink::run on a worker thread; the results as a dict of numpy arrays.");
    m.def("models", &models, "carbonsink::models() as a list of dicts.");
}
