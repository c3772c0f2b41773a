// Block plan construction (see block_plan.hpp for the theory of operation).
#include "raster/block_plan.hpp"

#include "raster/raster_error.hpp"

#include <algorithm>

namespace cs::raster {

int64_t BlockPlan::window_count(int64_t width, int64_t height, int64_t tile, int64_t max_cells) {
    if (width <= 0 || height <= 0 || tile < 16) {
        return 0;
    }
    const int64_t tiles_x = (width + tile - 1) / tile;
    const int64_t tiles_y = (height + tile - 1) / tile;
    const int64_t budget_tiles = std::max<int64_t>(1, max_cells / (tile * tile));
    if (budget_tiles >= tiles_x) {
        const int64_t rows = std::max<int64_t>(1, budget_tiles / tiles_x);
        return (tiles_y + rows - 1) / rows;
    }
    return tiles_y * ((tiles_x + budget_tiles - 1) / budget_tiles);
}

int64_t BlockPlan::max_window_cells(int64_t width, int64_t height, int64_t tile,
                                    int64_t max_cells) {
    if (width <= 0 || height <= 0 || tile < 16) {
        return 0;
    }
    const int64_t tiles_x = (width + tile - 1) / tile;
    const int64_t budget_tiles = std::max<int64_t>(1, max_cells / (tile * tile));
    if (budget_tiles >= tiles_x) {
        const int64_t rows = std::max<int64_t>(1, budget_tiles / tiles_x);
        return width * std::min(height, rows * tile);
    }
    return std::min(width, budget_tiles * tile) * std::min(height, tile);
}

BlockPlan::BlockPlan(int64_t width, int64_t height, int64_t tile, int64_t max_cells)
    : m_tile(tile) {
    if (width <= 0 || height <= 0) {
        throw RasterError("block plan: grid " + std::to_string(width) + " x " +
                          std::to_string(height) + ": the grid is empty");
    }
    if (const std::string why = describe_oversized_grid(width, height); !why.empty()) {
        throw RasterError("block plan: grid " + why);
    }
    if (tile < 16 || tile % 16 != 0) {
        throw RasterError("block plan: tile size " + std::to_string(tile) +
                          ": must be a positive multiple of 16");
    }
    const int64_t tiles_x = (width + tile - 1) / tile;
    const int64_t tiles_y = (height + tile - 1) / tile;
    const int64_t tile_cells = tile * tile;
    const int64_t budget_tiles = std::max<int64_t>(1, max_cells / tile_cells);

    int64_t cols_per_block = 0; // in tiles
    int64_t rows_per_block = 0; // in tiles
    if (budget_tiles >= tiles_x) {
        cols_per_block = tiles_x;
        rows_per_block = std::max<int64_t>(1, budget_tiles / tiles_x);
    } else {
        cols_per_block = budget_tiles;
        rows_per_block = 1;
    }
    for (int64_t ty = 0; ty < tiles_y; ty += rows_per_block) {
        const int64_t y0 = ty * tile;
        const int64_t y1 = std::min(height, (ty + rows_per_block) * tile);
        for (int64_t tx = 0; tx < tiles_x; tx += cols_per_block) {
            const int64_t x0 = tx * tile;
            const int64_t x1 = std::min(width, (tx + cols_per_block) * tile);
            Window w{x0, y0, x1 - x0, y1 - y0};
            m_max_cells_used = std::max(m_max_cells_used, w.cells());
            m_windows.push_back(w);
        }
    }
}

} // namespace cs::raster
