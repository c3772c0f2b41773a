// Progress bar and phase lines.
#include "pipeline/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace cs::pipeline {

Progress::Progress(bool quiet, bool force_plain)
    : m_tty(!quiet && !force_plain && isatty(STDERR_FILENO) != 0) {}

Progress::Progress(ProgressSink sink) : m_tty(false), m_sink(std::move(sink)) {}

void Progress::phase(const std::string &phase, const std::string &detail) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_sink) {
        m_sink(phase, detail, 0, 0);
        return;
    }
    if (m_bar) {
        std::fprintf(stderr, "\r\033[K"); // the phase line replaces the bar
        m_bar = false;
    }
    std::fprintf(stderr, "%s: %s\n", phase.c_str(), detail.c_str());
}

void Progress::show(int64_t done) {
    if (m_tty) {
        std::lock_guard<std::mutex> lock(m_mutex);
        draw(done);
    }
}

void Progress::start(const std::string &phase, int64_t total) {
    m_phase = phase;
    m_total = total;
    m_done = 0;
    m_t0 = std::chrono::steady_clock::now();
    m_last_draw = m_t0;
    if (m_sink) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_sink(phase, "", 0, total);
    } else if (m_tty) {
        draw(0);
    }
}

void Progress::tick() {
    const int64_t done = ++m_done;
    if (!m_tty && !m_sink) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    // A sink always gets the first and the last count (a callback may wait for them, e.g. to
    // cancel after the first block); a bar may skip a redraw.
    std::unique_lock<std::mutex> lock(m_mutex, std::defer_lock);
    if (m_sink && done == m_total) {
        lock.lock();
    } else {
        (void)lock.try_lock();
    }
    if (!lock.owns_lock() || (now - m_last_draw < std::chrono::milliseconds(100) &&
                              done != m_total && !(m_sink && done == 1))) {
        return;
    }
    m_last_draw = now;
    if (m_sink) {
        m_sink(m_phase, "", done, m_total);
    } else {
        draw(done);
    }
}

void Progress::draw(int64_t done) {
    const double frac =
        m_total > 0 ? static_cast<double>(done) / static_cast<double>(m_total) : 1.0;
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), '.');
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_t0).count();
    char eta[32] = "--:--";
    if (done > 0 && frac < 1.0) {
        const auto remain = static_cast<int>(elapsed / frac * (1.0 - frac));
        std::snprintf(eta, sizeof eta, "%02d:%02d", remain / 60, remain % 60);
    } else if (frac >= 1.0) {
        std::snprintf(eta, sizeof eta, "00:00");
    }
    std::fprintf(stderr, "\r%s [%s] %5.1f%%  %lld/%lld blocks  ETA %s ", m_phase.c_str(),
                 bar.c_str(), frac * 100.0, static_cast<long long>(done),
                 static_cast<long long>(m_total), eta);
    std::fflush(stderr);
    m_bar = true;
}

void Progress::finish(const std::string &detail) {
    std::lock_guard<std::mutex> lock(m_mutex);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_t0).count();
    char line[128];
    std::snprintf(line, sizeof line, "done, %lld blocks in %.1f s%s",
                  static_cast<long long>(m_total), elapsed, detail.empty() ? "" : ", ");
    if (m_sink) {
        m_sink(m_phase, line + detail, 0, 0);
        return;
    }
    if (m_tty) {
        std::fprintf(stderr, "\r\033[K");
        m_bar = false;
    }
    std::fprintf(stderr, "%s: %s%s\n", m_phase.c_str(), line, detail.c_str());
}

} // namespace cs::pipeline
