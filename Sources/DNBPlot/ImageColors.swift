extension Axes {
    /// matplotlib's Normalize + colormap for one image: limits default to the
    /// finite min/max, equal limits map everything to the low colour, values
    /// outside clip to the end colours and NaN becomes transparent.
    func colorMapped(_ layer: Image) -> [UInt32] {
        let range = layer.image.finiteRange
        var low = layer.vmin ?? range.map { Double($0.min) } ?? 0
        var high = layer.vmax ?? range.map { Double($0.max) } ?? 1
        if low > high { swap(&low, &high) }
        let span = high - low
        return layer.image.pixels.map { value in
            let v = Double(value)
            let normalized: Double
            if v.isNaN {
                normalized = .nan
            } else if span > 0 && span.isFinite {
                normalized = (v - low) / span
            } else {
                normalized = 0  // Normalize with vmin == vmax: result.fill(0)
            }
            guard let rgb = layer.colormap.rgb(normalized: normalized) else { return 0 }
            return 0xff00_0000 | rgb
        }
    }
}
