import CCairo

/// Raster in and out of the canvas: painting colour-mapped images and
/// reading the finished picture back as RGBA bytes.
extension Canvas {
    /// Paints `pixels` (0xAARRGGBB, not premultiplied, row-major) so that the
    /// image's corners land on `destination`, scaling with nearest-neighbour
    /// sampling like imshow does when it upsamples, clipped to `clip`.
    func image(_ pixels: [UInt32], width: Int, height: Int, into destination: Rect, clip: Rect) {
        guard width > 0, height > 0, destination.width.isNormal, destination.height.isNormal,
              let source = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height))
        else { return }
        defer { cairo_surface_destroy(source) }
        guard cairo_surface_status(source) == CAIRO_STATUS_SUCCESS,
              let data = cairo_image_surface_get_data(source) else { return }
        cairo_surface_flush(source)
        let stride = Int(cairo_image_surface_get_stride(source))
        for y in 0..<height {
            let row = UnsafeMutableRawPointer(data + y * stride)
            for x in 0..<width {
                row.storeBytes(of: premultiplied(pixels[y * width + x]), toByteOffset: x * 4, as: UInt32.self)
            }
        }
        cairo_surface_mark_dirty(source)

        cairo_save(cr)
        cairo_rectangle(cr, clip.minX, clip.minY, clip.width, clip.height)
        cairo_clip(cr)
        cairo_translate(cr, destination.minX, destination.minY)
        cairo_scale(cr, destination.width / Double(width), destination.height / Double(height))
        cairo_set_source_surface(cr, source, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
        cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD)
        cairo_rectangle(cr, 0, 0, Double(width), Double(height))
        cairo_fill(cr)
        cairo_restore(cr)
    }

    private func premultiplied(_ argb: UInt32) -> UInt32 {
        let a = argb >> 24
        if a == 255 { return argb }
        func scaled(_ shift: UInt32) -> UInt32 { (((argb >> shift) & 0xff) * a + 127) / 255 << shift }
        return a << 24 | scaled(16) | scaled(8) | scaled(0)
    }

    /// The finished picture as straight (non-premultiplied) RGBA bytes, row-major.
    func rgbaBytes() throws -> [UInt8] {
        cairo_surface_flush(surface)
        guard cairo_status(cr) == CAIRO_STATUS_SUCCESS else {
            throw PlotError.renderingFailed(String(cString: cairo_status_to_string(cairo_status(cr))))
        }
        guard let data = cairo_image_surface_get_data(surface) else {
            throw PlotError.renderingFailed("cairo surface has no pixel data")
        }
        let stride = Int(cairo_image_surface_get_stride(surface))
        var bytes = [UInt8](repeating: 0, count: width * height * 4)
        bytes.withUnsafeMutableBufferPointer { out in
            for y in 0..<height {
                let row = UnsafeRawPointer(data + y * stride)
                for x in 0..<width {
                    let argb = row.loadUnaligned(fromByteOffset: x * 4, as: UInt32.self)
                    let a = argb >> 24
                    func channel(_ shift: UInt32) -> UInt8 {
                        let c = (argb >> shift) & 0xff
                        return a == 0 ? 0 : UInt8(min(255, (c * 255 + a / 2) / a))
                    }
                    let i = (y * width + x) * 4
                    out[i] = channel(16)
                    out[i + 1] = channel(8)
                    out[i + 2] = channel(0)
                    out[i + 3] = UInt8(a)
                }
            }
        }
        return bytes
    }
}
