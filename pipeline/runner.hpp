// The parallel runner: blocks computed by OpenMP threads, reduced and written in block order.
#pragma once
#include "pipeline/accumulator.hpp"
#include "pipeline/checkpoint.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/progress.hpp"
#include "pipeline/remote_blocks.hpp"
#include "raster/raster_io.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cs::pipeline {

/// Totals and (uncommitted) raster outputs of a finished compute phase.
struct RunResult {
    AccumDims dims;
    std::unique_ptr<DistrictTotals> totals;
    std::vector<std::string> pool_names;
    std::vector<int32_t> class_codes;         ///< classes of the transition matrices
    std::vector<std::string> unverified_used; ///< unverified parameters the run used
    /// Warnings about the pixels the run met (Stage::warnings), after prepare's.
    std::vector<std::string> warnings;
    std::vector<std::unique_ptr<raster::GeoTiffWriter>> rasters; ///< commit after success
    /// SHA-256 of each of run.inputs as read (InputHashes::finish), for the provenance.
    std::vector<std::string> input_sha256;
    /// With `uncertainty`: the propagation (draws computed once), and the parameters the
    /// districts use (indices into run.uncertainty->parameters), for the provenance.
    std::shared_ptr<const UncertaintyEngine> uncertainty;
    std::vector<uint32_t> uncertain_parameters_used;
    /// Area-adjusted class areas of the epochs with a land-cover accuracy.
    std::vector<EpochAreaEstimate> area_estimates;
};

/// Compute every block with `run.threads` OpenMP threads. Rasters are written under temporary
/// names in `output_dir` (created if missing) and left uncommitted. With a `checkpoint` log,
/// blocks it holds are replayed instead of computed and every computed block is appended to it.
/// Throws InputError (exit 2) when land-cover codes are missing from the table, listing all of
/// them; when a declared layer that must hold a quantity >= 0 holds negative, NaN or infinite
/// values (LayerDecl::non_negative_quantity), naming each raster, the count and the first pixel;
/// and
/// when an epoch has no valid pixel at all. Throws RasterError or OutputError (exit 1) on I/O
/// failure; Interrupted after SIGINT/SIGTERM.
/// With `statistics_only` (validate with `uncertainty`), nothing is written and no folder is
/// created: the pass only sums the totals, so that the checks that need them run.
/// With `remote` (an MPI job, mpi_run.hpp): on the root, blocks are taken from the workers
/// instead of computed, everything else as above; on a worker, the blocks the root hands out
/// are computed and sent to it, nothing is written, and the returned result is empty.
RunResult run_blocks(const PreparedRun &run, const std::string &output_dir, Progress &progress,
                     CheckpointLog *checkpoint = nullptr, bool statistics_only = false,
                     RemoteBlocks *remote = nullptr);

/// The GeoTIFF outputs of a run, created under temporary names in `output_dir` (which must
/// exist): stock_<year>.tif per epoch, then stock_change_<y1>_<y2>.tif per period,
/// method_<year>.tif per epoch (outputs.method_codes), per pool stock_<pool>_<year>.tif per epoch
/// then stock_change_<pool>_<y1>_<y2>.tif per period (outputs.pool_rasters), then the month-series
/// rasters. Empty when outputs.rasters is false. Throws RasterError.
std::vector<std::unique_ptr<raster::GeoTiffWriter>>
make_output_writers(const PreparedRun &run, const std::string &output_dir);

/// Finished blocks that may wait for the writer, per output, before a worker waits for room
/// (OrderedQueue::wait_for_room): the thread count, at most MAX_PENDING_BLOCKS. More waiting
/// blocks do not make the writer faster, they only hold memory: with 16 threads on the 20000 x
/// 20000 px benchmark the run peaked at 1048 MiB with one waiting block per thread (issue 13).
inline constexpr int MAX_PENDING_BLOCKS = 4;
std::size_t pending_blocks_limit(int threads);

/// Writes each block's output windows in block order (one ordered queue per output file), so
/// files are byte-identical whatever the thread count. Thread-safe.
class OrderedRasterOutputs {
public:
    /// `threads`: the threads that take windows at once; the pool of written windows kept for
    /// take_windows() holds at most (threads + MAX_PENDING_BLOCKS + 1) per output. Windows that
    /// take_windows() did not hand out (a checkpoint replay on --resume, results received from
    /// MPI workers) are freed beyond that, instead of piling up: a 20000 x 20000 px run on 2
    /// ranks held 2.8 GiB of them on rank 0 before this bound.
    OrderedRasterOutputs(std::vector<std::unique_ptr<raster::GeoTiffWriter>> &writers,
                         const raster::BlockPlan &plan, int threads);
    /// `windows[o]` holds block `block`'s values for output o (block cells, row-major). Once a
    /// window is written, its buffer goes back to the pool that take_windows() draws from.
    void deposit(std::size_t block, std::vector<std::vector<float>> &&windows);
    /// Set `windows` to `count` buffers of `cells` floats (one per output: the writers', or on
    /// an MPI worker, which has none, the root's count), recycled from windows already
    /// written when there are some (their old values are left in place: the caller overwrites
    /// every cell). Allocating and zeroing a fresh buffer per block and output cost about a
    /// third of a run's time in page faults and memset (issue 13); recycled, the buffers in use
    /// are bounded by the blocks in flight (wait_for_room). Thread-safe.
    void take_windows(std::vector<std::vector<float>> &windows, std::size_t count,
                      std::size_t cells);
    /// Wait while any output holds more than `max_pending` blocks not yet written (see
    /// OrderedQueue::wait_for_room).
    void wait_for_room(std::size_t max_pending, const std::atomic<bool> &stop);
    /// Written windows held for take_windows() (for the tests of the bound).
    std::size_t pooled_windows();

private:
    std::vector<std::unique_ptr<raster::GeoTiffWriter>> &m_writers;
    const raster::BlockPlan &m_plan;
    std::vector<OrderedQueue<std::vector<float>>> m_queues;
    std::mutex m_free_mutex;
    std::vector<std::vector<float>> m_free; ///< written windows, for take_windows()
    std::size_t m_free_max = 0;             ///< most windows m_free keeps
};

/// Read a district raster once: its distinct ids (ascending) and its coverage index (runs of
/// equal id, fraction 1; nodata pixels belong to no district).
std::pair<std::vector<int64_t>, raster::CoverageIndex>
district_raster_coverage(const raster::RasterInfo &info, const raster::BlockPlan &plan,
                         int threads);

/// Distinct valid values of an integer raster, ascending, read with `threads` threads.
std::vector<int32_t> scan_distinct_values(const raster::RasterInfo &info,
                                          const raster::BlockPlan &plan, int threads);

/// One message per epoch whose raster holds codes missing from the stock model's table, in the
/// contract form "<label> (<path>, band N): K class codes are not in the pools table (...):
/// a, b, c". Empty when every code is covered. Reads every land-cover raster once.
std::vector<std::string> find_unknown_classes(const PreparedRun &run);

/// One message per land-cover raster of a type that holds more than int32 codes (Float32,
/// Float64, UInt32, Int64, ...) with pixels that are data but not a whole number within int32
/// (a fraction, +-infinity, 3e9): "bad input values: <label> (<path>, band N): K pixels are not
/// integer class codes of 32 bits (first at row R, column C counted from 0: V); ...". NaN is
/// nodata in a land cover and not counted. Reads each such raster once; empty when none.
std::vector<std::string> land_cover_value_messages(const PreparedRun &run);

/// Number of threads for `requested` (0 = all cores).
int resolve_threads(int requested);

/// Shape of the district records of `run` (its stock model must be built).
AccumDims run_dims(const PreparedRun &run);

/// Number of GeoTIFF outputs `run` writes (make_output_writers), 0 without outputs.rasters.
/// `pools`: the stock model's pool count, for outputs.pool_rasters (0 when not yet known, e.g.
/// before the model is built: the count then leaves the pool rasters out).
/// With months, counts one month series with rasters (one per year, and one per month with
/// outputs.monthly_rasters), as the built-in month stage declares.
std::size_t output_raster_count(const Config &config, std::size_t pools = 0);

/// A GeoTIFF output of a month series a stage declares with a raster (SeriesDecl::raster_prefix):
/// the sum of one calendar year's months (month 0) or one month.
struct MonthRaster {
    std::size_t stage = 0;  ///< index in run.chain
    std::size_t series = 0; ///< index in the stage's series()
    int year = 0;
    int month = 0; ///< 1..12, 0 = the months of `year`
    std::string file;
    std::string description;
    std::string unit;
    double scale = 1.0;
};
/// The month-series rasters of `run`, in the order make_output_writers creates them (after the
/// stock, change and method rasters); empty without outputs.rasters.
std::vector<MonthRaster> month_rasters(const PreparedRun &run);

} // namespace cs::pipeline
