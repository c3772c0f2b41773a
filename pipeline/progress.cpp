// Progress bar and phase lines.
#include "pipeline/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace cs::pipeline {

Progress::Progress(bool quiet, bool force_plain)
    : m_tty(!quiet && !force_plain && isatty(STDERR_FILENO) != 0) {}

void Progress::phase(const std::string &phase, const std::string &detail) {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::fprintf(stderr, "%s: %s\n", phase.c_str(), detail.c_str());
}

void Progress::start(const std::string &phase, int64_t total) {
    m_phase = phase;
    m_total = total;
    m_done = 0;
    m_t0 = std::chrono::steady_clock::now();
    m_last_draw = m_t0;
    if (m_tty) {
        draw(0);
    }
}

void Progress::tick() {
    const int64_t done = ++m_done;
    if (!m_tty) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(m_mutex, std::try_to_lock);
    if (!lock.owns_lock() ||
        (now - m_last_draw < std::chrono::milliseconds(100) && done != m_total)) {
        return;
    }
    m_last_draw = now;
    draw(done);
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
}

void Progress::finish(const std::string &detail) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_tty) {
        std::fprintf(stderr, "\r\033[K");
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_t0).count();
    std::fprintf(stderr, "%s: done, %lld blocks in %.1f s%s%s\n", m_phase.c_str(),
                 static_cast<long long>(m_total), elapsed, detail.empty() ? "" : ", ",
                 detail.c_str());
}

} // namespace cs::pipeline
