/// matplotlib's `plt.imsave`: the image alone, one PNG pixel per image pixel, through a colormap
/// (limits as `imshow`'s: the finite min and max unless given), with no axes or margins around it.
public func imsave(_ path: String, _ image: GrayImage, cmap: Colormap = .viridis, vmin: Double? = nil, vmax: Double? = nil) throws {
    let colors = Axes().colorMapped(Axes.Image(image: image, colormap: cmap, vmin: vmin, vmax: vmax))
    var rgba = [UInt8](repeating: 0, count: colors.count * 4)
    for (index, color) in colors.enumerated() {
        rgba[4 * index] = UInt8((color >> 16) & 0xff)
        rgba[4 * index + 1] = UInt8((color >> 8) & 0xff)
        rgba[4 * index + 2] = UInt8(color & 0xff)
        rgba[4 * index + 3] = UInt8(color >> 24)
    }
    try PNGWriter.write(rgba: rgba, width: image.width, height: image.height, text: [], to: path)
}
