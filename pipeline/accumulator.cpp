// District totals and block scratch records.
#include "pipeline/accumulator.hpp"

#include <algorithm>

namespace cs::pipeline {

DistrictTotals::DistrictTotals(const AccumDims &dims)
    : m_dims(dims), m_values(dims.districts * dims.stride(), 0.0),
      m_status_pixels(dims.epochs * dims.statuses, 0) {}

void DistrictTotals::merge(const BlockPartial &partial) {
    const std::size_t stride = m_dims.stride();
    for (std::size_t i = 0; i < partial.districts.size(); ++i) {
        double *dst = &m_values[partial.districts[i] * stride];
        const double *src = &partial.records[i * stride];
        for (std::size_t j = 0; j < stride; ++j) {
            dst[j] += src[j];
        }
    }
    for (std::size_t i = 0; i < partial.status_pixels.size() && i < m_status_pixels.size(); ++i) {
        m_status_pixels[i] += partial.status_pixels[i];
    }
    if (!partial.class_pixels.empty()) {
        if (m_class_pixels.empty()) {
            m_class_pixels.assign(partial.class_pixels.size(), 0);
            m_classes = m_dims.epochs > 0 ? partial.class_pixels.size() / m_dims.epochs : 0;
        }
        for (std::size_t i = 0; i < partial.class_pixels.size(); ++i) {
            m_class_pixels[i] += partial.class_pixels[i];
        }
    }
    if (!partial.class_area.empty()) {
        m_class_area.resize(partial.class_area.size(), 0.0);
        for (std::size_t i = 0; i < partial.class_area.size(); ++i) {
            m_class_area[i] += partial.class_area[i];
        }
    }
}

DistrictTotals DistrictTotals::rollup(const std::vector<uint32_t> &unit_of,
                                      std::size_t units) const {
    AccumDims d = m_dims;
    d.districts = units;
    DistrictTotals out(d);
    const std::size_t stride = m_dims.stride();
    for (std::size_t c = 0; c < m_dims.districts; ++c) {
        double *dst = &out.m_values[unit_of[c] * stride];
        const double *src = &m_values[c * stride];
        for (std::size_t j = 0; j < stride; ++j) {
            dst[j] += src[j];
        }
    }
    out.m_status_pixels = m_status_pixels;
    out.m_class_pixels = m_class_pixels;
    out.m_class_area = m_class_area;
    out.m_classes = m_classes;
    return out;
}

BlockScratch::BlockScratch(const AccumDims &dims)
    : m_stride(dims.stride()), m_dense(dims.districts * dims.stride(), 0.0),
      m_touched_flag(dims.districts, 0) {}

void BlockScratch::extract(BlockPartial &out) {
    std::sort(m_touched.begin(), m_touched.end());
    out.districts = m_touched;
    out.records.resize(m_touched.size() * m_stride);
    for (std::size_t i = 0; i < m_touched.size(); ++i) {
        double *src = &m_dense[static_cast<std::size_t>(m_touched[i]) * m_stride];
        std::copy(src, src + m_stride,
                  out.records.begin() + static_cast<std::ptrdiff_t>(i * m_stride));
        std::fill(src, src + m_stride, 0.0);
        m_touched_flag[m_touched[i]] = 0;
    }
    m_touched.clear();
}

} // namespace cs::pipeline
