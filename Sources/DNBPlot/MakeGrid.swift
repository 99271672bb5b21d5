/// Tiles same-sized images into one, like `torchvision.utils.make_grid` for
/// one-channel images: `nrow` images per row, `padding` pixels of `padValue`
/// between the images and around the whole grid.
public func makeGrid(images: [GrayImage], nrow: Int = 8, padding: Int = 2,
                     padValue: Float = 0) throws -> GrayImage {
    guard let first = images.first else { throw PlotError.emptyImageList }
    guard nrow > 0 else { throw PlotError.invalidGridArgument("nrow must be positive, got \(nrow)") }
    guard padding >= 0 else { throw PlotError.invalidGridArgument("padding must not be negative, got \(padding)") }
    for image in images where image.width != first.width || image.height != first.height {
        throw PlotError.mismatchedImageSizes(expected: (first.width, first.height),
                                             found: (image.width, image.height))
    }
    let columns = min(nrow, images.count)
    let rows = (images.count + columns - 1) / columns
    /// count cells of `length` + padding pixels, plus the padding at the far end.
    func side(_ length: Int, _ count: Int) throws -> Int {
        let (cell, o1) = length.addingReportingOverflow(padding)
        let (cells, o2) = cell.multipliedReportingOverflow(by: count)
        let (total, o3) = cells.addingReportingOverflow(padding)
        guard !(o1 || o2 || o3) else {
            throw PlotError.invalidGridArgument("padding \(padding) makes a grid too large to count its pixels")
        }
        return total
    }
    let cellWidth = first.width + padding
    let cellHeight = first.height + padding
    var grid = try GrayImage(width: side(first.width, columns), height: side(first.height, rows), fill: padValue)
    for (k, image) in images.enumerated() {
        let originX = (k % columns) * cellWidth + padding
        let originY = (k / columns) * cellHeight + padding
        for y in 0..<image.height {
            for x in 0..<image.width {
                grid[originX + x, originY + y] = image[x, y]
            }
        }
    }
    return grid
}
