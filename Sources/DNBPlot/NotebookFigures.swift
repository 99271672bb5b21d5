/// The figures the tutorial notebook draws, as thin recipes over Figure/Axes.
extension Figure {
    /// The training-loss plot: one C0 line labelled "Training Loss" over the
    /// iteration index, "Iteration" / "MSE Loss" axis labels, grid and legend,
    /// at the notebook's figsize (8, 4).
    public static func lossCurve(_ losses: [Double], title: String = "Training Loss",
                                 logY: Bool = false, dpi: Double = 100) -> Figure {
        let figure = Figure(validRows: 1, cols: 1, figsize: (8, 4), dpi: dpi)
        let axes = figure.grid[0]
        axes.plot(y: losses, label: "Training Loss")
        axes.title = title
        axes.xlabel = "Iteration"
        axes.ylabel = "MSE Loss"
        axes.yScale = logY ? .log : .linear
        axes.grid(true)
        axes.legend()
        return figure
    }

    /// Rows of images without axes, 2 inches per image like the notebook's
    /// `plt.subplots(rows, cols, figsize=(cols*2, rows*2))`. `rowTitles`
    /// label each row on its first image only (the Clean / Noisy / Denoised
    /// figure); `titles` give per-image titles and lose to a row title on
    /// the first column. Short rows leave their remaining slots blank.
    public static func imageGrid(_ images: [[GrayImage]], titles: [[String]]? = nil, rowTitles: [String]? = nil,
                                 cmap: Colormap = .greys, vmin: Double? = nil, vmax: Double? = nil,
                                 suptitle: String? = nil, dpi: Double = 100) -> Figure {
        let rows = max(1, images.count)
        let cols = max(1, images.map(\.count).max() ?? 1)
        let figure = Figure(validRows: rows, cols: cols, figsize: (Double(cols) * 2, Double(rows) * 2), dpi: dpi)
        figure.suptitle = suptitle
        for row in 0..<rows {
            for col in 0..<cols {
                let axes = figure.grid[row * cols + col]
                axes.axisOff()
                if row < images.count && col < images[row].count {
                    axes.imshow(images[row][col], cmap: cmap, vmin: vmin, vmax: vmax)
                }
                if let titles, row < titles.count, col < titles[row].count, !titles[row][col].isEmpty {
                    axes.title = titles[row][col]
                }
                if col == 0, let rowTitles, row < rowTitles.count, !rowTitles[row].isEmpty {
                    axes.title = rowTitles[row]
                }
            }
        }
        return figure
    }

    /// Images next to each other with a title each (e.g. original vs. noisy),
    /// axes hidden; `figsize` defaults to 4 inches per image.
    public static func sideBySide(_ images: [GrayImage], titles: [String] = [], cmap: Colormap = .greys,
                                  vmin: Double? = nil, vmax: Double? = nil,
                                  figsize: (Double, Double)? = nil, suptitle: String? = nil,
                                  dpi: Double = 100) -> Figure {
        let count = max(1, images.count)
        let figure = Figure(validRows: 1, cols: count, figsize: figsize ?? (4 * Double(count), 4), dpi: dpi)
        figure.suptitle = suptitle
        for col in 0..<count {
            let axes = figure.grid[col]
            axes.axisOff()
            if col < images.count {
                axes.imshow(images[col], cmap: cmap, vmin: vmin, vmax: vmax)
            }
            if col < titles.count, !titles[col].isEmpty {
                axes.title = titles[col]
            }
        }
        return figure
    }
}
