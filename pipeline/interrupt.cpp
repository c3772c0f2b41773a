// Signal handling (see interrupt.hpp). The handler only stores to a lock-free atomic.
#include "pipeline/interrupt.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>

namespace cs::pipeline {

namespace {
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

/// RunOptions::cancel of the library call in progress: read by every worker thread.
std::atomic<const std::atomic<bool> *> g_cancel{nullptr};

extern "C" void on_signal(int sig) { g_signal.store(sig); }
} // namespace

void install_signal_handlers() {
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    // With a file-size limit (ulimit -f) the kernel would kill the process on the first write
    // past it; ignored, the write fails with EFBIG and the run reports it (exit 1).
    std::signal(SIGXFSZ, SIG_IGN);
}

void set_cancel_flag(const std::atomic<bool> *flag) { g_cancel.store(flag); }

bool interrupted() {
    if (g_signal.load(std::memory_order_relaxed) != 0) {
        return true;
    }
    const std::atomic<bool> *cancel = g_cancel.load(std::memory_order_relaxed);
    return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

int interrupt_signal() { return g_signal.load(); }

std::string interrupt_cause() {
    const int sig = interrupt_signal();
    return sig != 0 ? "signal " + std::to_string(sig) : std::string("a cancel request");
}

void throw_interrupted(const std::string &doing) {
    throw Interrupted("stopped by " + interrupt_cause() + " while " + doing);
}

int64_t failpoint(const std::string &name) {
    const char *env = std::getenv("CARBONSINK_FAILPOINT");
    if (env == nullptr) {
        return -1;
    }
    const std::string v(env);
    if (v == name) {
        return 0;
    }
    if (v.rfind(name + ":", 0) == 0) {
        return std::strtoll(v.c_str() + name.size() + 1, nullptr, 10);
    }
    return -1;
}

} // namespace cs::pipeline
