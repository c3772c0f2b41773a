// Block plan: the windows a run is computed in.
//
// Theory of operation. The grid is cut into windows that tile it exactly once. Windows are
// aligned to the output tiling (multiples of `tile` pixels in both directions, except at the
// right and bottom edges), so each output tile is written by exactly one block and never read
// back. Blocks grow from one tile to whole-width strips of tile rows while they fit the cell
// budget; when one tile row of the full width exceeds the budget, a strip is cut into column
// groups of whole tiles. The plan is row-major and index-stable: block i is the same window for
// every thread count, which is what makes the ordered reduction deterministic. Memory per
// worker thread is proportional to the budget, not to the raster size.
#pragma once
#include "raster/grid.hpp"

#include <cstdint>
#include <vector>

namespace cs::raster {

class BlockPlan {
public:
    /// Plan for a `width` x `height` grid with square output tiles of `tile` px and a budget of
    /// `max_cells` cells per block (at least one tile is always allowed).
    /// Throws RasterError when the grid is empty, wider or taller than MAX_GRID_SIZE_PX, or tile
    /// < 16 or not a multiple of 16.
    BlockPlan(int64_t width, int64_t height, int64_t tile, int64_t max_cells);

    /// Number of windows the plan of these arguments has, computed without building it (for
    /// memory checks: each window takes sizeof(Window) bytes). Arguments as the constructor;
    /// 0 when they are invalid.
    static int64_t window_count(int64_t width, int64_t height, int64_t tile, int64_t max_cells);
    /// max_block_cells() of the plan of these arguments, computed without building it.
    static int64_t max_window_cells(int64_t width, int64_t height, int64_t tile, int64_t max_cells);

    std::size_t size() const { return m_windows.size(); }
    const Window &operator[](std::size_t i) const { return m_windows[i]; }
    const std::vector<Window> &windows() const { return m_windows; }
    int64_t tile() const { return m_tile; }
    /// Largest cell count of any block (sizes per-thread scratch buffers).
    int64_t max_block_cells() const { return m_max_cells_used; }

private:
    std::vector<Window> m_windows;
    int64_t m_tile;
    int64_t m_max_cells_used = 0;
};

} // namespace cs::raster
