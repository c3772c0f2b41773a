// District accumulators: per-block partial sums and their ordered, deterministic reduction.
//
// Theory of operation (determinism). Each block accumulates its pixels in row-major order into
// a dense per-district scratch record, then keeps only the districts it touched as a sparse
// BlockPartial. Partials are merged into the run totals strictly in block index order by an
// OrderedQueue, whichever thread finishes first. Floating-point addition is not associative,
// but the sequence of additions is now fixed by the block plan alone (never by the thread
// count or timing), so totals are bit-identical for 1 and N threads. The same queue orders the
// GeoTIFF tile writes, so output files are byte-identical too.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace cs::pipeline {

/// Shape of the accumulated quantities: pools x epochs, pixel statuses, the stock change of
/// each period, transition matrices, then the series the chain's stages declare
/// (models::SeriesDecl), in chain order.
struct AccumDims {
    std::size_t districts = 1;
    std::size_t epochs = 1;
    std::size_t pools = 1;
    std::size_t statuses = 1;
    std::size_t classes = 0;               ///< classes of the transition matrices (0 = no matrices)
    std::vector<std::string> series_names; ///< declared district series
    std::vector<std::size_t> series_lengths; ///< values of each (epochs, periods or months)
    /// Cells of the uncertainty statistics (pipeline/uncertainty_run.hpp), after the series; 0
    /// without `uncertainty`.
    std::size_t stat_cells = 0;

    std::size_t periods() const { return epochs > 0 ? epochs - 1 : 0; }
    /// Doubles per district record.
    std::size_t stride() const { return stat_base() + stat_cells; }
    // Offsets inside a record. Areas in ha, stocks in Mg C, flux in Mg C/yr.
    std::size_t area() const { return 0; }
    std::size_t stock(std::size_t e, std::size_t p) const { return 1 + e * pools + p; }
    std::size_t status_area(std::size_t e, std::size_t s) const {
        return 1 + epochs * pools + e * statuses + s;
    }
    std::size_t flux(std::size_t k) const { return 1 + epochs * pools + epochs * statuses + k; }
    std::size_t flux_invalid_area(std::size_t k) const {
        return 1 + epochs * pools + epochs * statuses + periods() + k;
    }
    /// Area (ha) that moved from class index i to class index j during period k.
    std::size_t transition(std::size_t k, std::size_t i, std::size_t j) const {
        return 1 + epochs * pools + epochs * statuses + 2 * periods() +
               (k * classes + i) * classes + j;
    }
    /// Value j (epoch, period or month) of declared series s.
    std::size_t series(std::size_t s, std::size_t j) const {
        return series_base() + series_offset(s) + j;
    }
    /// Cell c of the uncertainty statistics.
    std::size_t stat(std::size_t c) const { return stat_base() + c; }
    /// Index of the series named `name`, or -1.
    int find_series(const std::string &name) const {
        for (std::size_t s = 0; s < series_names.size(); ++s) {
            if (series_names[s] == name) {
                return static_cast<int>(s);
            }
        }
        return -1;
    }

private:
    std::size_t stat_base() const { return series_base() + series_offset(series_lengths.size()); }
    std::size_t series_base() const {
        return 1 + epochs * pools + epochs * statuses + 2 * periods() +
               periods() * classes * classes;
    }
    std::size_t series_offset(std::size_t s) const {
        std::size_t o = 0;
        for (std::size_t i = 0; i < s; ++i) {
            o += series_lengths[i];
        }
        return o;
    }
};

/// The sums of one block: records of the districts it touched, pixel counts per epoch and
/// status, and the land-cover codes it could not classify.
struct BlockPartial {
    std::vector<uint32_t> districts;    ///< touched district indices, ascending
    std::vector<double> records;        ///< districts.size() x stride
    std::vector<int64_t> status_pixels; ///< epochs x statuses, all pixels of the block
    std::vector<int64_t> class_pixels;  ///< epochs x classes: valid pixels of each class
    /// epochs x classes: true area (ha) of the valid pixels of each class, whole grid; empty
    /// unless a land-cover accuracy needs the mapped areas (uncertainty_run.hpp).
    std::vector<double> class_area;

    std::vector<std::set<int32_t>> unknown_codes; ///< per epoch
};

/// Dense per-district totals of a whole run.
class DistrictTotals {
public:
    explicit DistrictTotals(const AccumDims &dims);
    const AccumDims &dims() const { return m_dims; }
    /// Add a block's partial (call in block order for deterministic results).
    void merge(const BlockPartial &partial);
    double value(std::size_t district, std::size_t offset) const {
        return m_values[district * m_dims.stride() + offset];
    }
    double *record(std::size_t district) { return &m_values[district * m_dims.stride()]; }
    const double *record(std::size_t district) const {
        return &m_values[district * m_dims.stride()];
    }
    int64_t status_pixels(std::size_t e, std::size_t s) const {
        return m_status_pixels[e * m_dims.statuses + s];
    }
    /// Valid pixels of class index c in epoch e (whole grid).
    int64_t class_pixels(std::size_t e, std::size_t c) const {
        return e * m_classes + c < m_class_pixels.size() ? m_class_pixels[e * m_classes + c] : 0;
    }
    /// True area (ha) of the valid pixels of class index c in epoch e (whole grid); 0 unless
    /// the blocks counted it (BlockPartial::class_area).
    double class_area(std::size_t e, std::size_t c) const {
        return e * m_classes + c < m_class_area.size() ? m_class_area[e * m_classes + c] : 0.0;
    }
    /// Number of classes counted by class_pixels (set on the first merge).
    std::size_t counted_classes() const { return m_classes; }
    /// Totals of parent units: record of unit u = sum of the records of its children, added in
    /// ascending child order. `unit_of[child]` gives the unit of each district of this table.
    DistrictTotals rollup(const std::vector<uint32_t> &unit_of, std::size_t units) const;

private:
    AccumDims m_dims;
    std::vector<double> m_values;
    std::vector<int64_t> m_status_pixels;
    std::vector<int64_t> m_class_pixels;
    std::vector<double> m_class_area;
    std::size_t m_classes = 0;
};

/// Per-thread dense scratch that turns into a sparse BlockPartial.
class BlockScratch {
public:
    explicit BlockScratch(const AccumDims &dims);
    /// Record of district `d`, marking it touched.
    double *touch(uint32_t d) {
        if (!m_touched_flag[d]) {
            m_touched_flag[d] = 1;
            m_touched.push_back(d);
        }
        return &m_dense[static_cast<std::size_t>(d) * m_stride];
    }
    /// Move the touched records into `out` (ascending district order) and reset.
    void extract(BlockPartial &out);

private:
    std::size_t m_stride;
    std::vector<double> m_dense;
    std::vector<uint8_t> m_touched_flag;
    std::vector<uint32_t> m_touched;
};

/// Hands items to a consumer `consume(index, item)` strictly in index order 0, 1, 2, ... whatever
/// the order they are deposited in. At most one thread consumes at a time; others deposit and
/// return. Consumers run without the queue lock held, so deposits never wait for a slow consumer;
/// a producer that runs ahead of a slow consumer (GeoTIFF compression is single-threaded) calls
/// wait_for_room() after depositing, so that the items held stay bounded.
template <class T> class OrderedQueue {
public:
    /// Deposit item `index`; then, if no other thread is consuming, consume every item that is
    /// ready in order. Exceptions from `consume` propagate to the caller (the queue then stops).
    template <class F> void deposit(std::size_t index, T &&item, F &&consume) {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_pending.emplace(index, std::move(item));
            if (m_consuming || m_failed) {
                return;
            }
            m_consuming = true;
        }
        for (;;) {
            T current;
            std::size_t current_index = 0;
            {
                std::lock_guard<std::mutex> lock(m_mutex);
                current_index = m_next;
                auto it = m_pending.find(m_next);
                if (it == m_pending.end()) {
                    m_consuming = false;
                    return;
                }
                current = std::move(it->second);
                m_pending.erase(it);
            }
            try {
                consume(current_index, current);
            } catch (...) {
                {
                    std::lock_guard<std::mutex> lock(m_mutex);
                    m_failed = true;
                    m_consuming = false;
                }
                m_room.notify_all();
                throw;
            }
            {
                std::lock_guard<std::mutex> lock(m_mutex);
                ++m_next;
            }
            m_room.notify_all();
        }
    }
    /// Wait while more than `max_pending` deposited items wait for their turn, unless the queue
    /// failed or `stop` is raised. Call only after depositing, and only when indices are handed
    /// out in increasing order (parallel_blocks): the item the queue waits for was then handed
    /// out before the caller's, so it is held by a thread still computing it (or skipped after
    /// `stop`) or is already deposited and being consumed, never by a waiting thread; this
    /// cannot deadlock. (With indices handed out in ranges per thread it would.)
    void wait_for_room(std::size_t max_pending, const std::atomic<bool> &stop) {
        std::unique_lock<std::mutex> lock(m_mutex);
        while (m_pending.size() > max_pending && !m_failed && !stop) {
            // Timed: `stop` is raised without notifying the queue.
            m_room.wait_for(lock, std::chrono::milliseconds(20));
        }
    }
    /// Number of items consumed so far.
    std::size_t consumed() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_next;
    }

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_room;
    std::map<std::size_t, T> m_pending;
    std::size_t m_next = 0;
    bool m_consuming = false;
    bool m_failed = false;
};

} // namespace cs::pipeline
