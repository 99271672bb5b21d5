extension Axes {
    /// Paints the axes in matplotlib's z-order: background, images, grid,
    /// lines, spines and ticks, labels, title, legend.
    func draw(_ plan: AxesPlan, on canvas: Canvas) {
        let box = plan.box
        if isAxisVisible {
            canvas.fill(box, color: .white)
        }
        for layer in images {
            drawImage(layer, plan: plan, canvas: canvas)
        }
        if isAxisVisible && isGridVisible {
            drawGrid(plan, canvas: canvas)
        }
        for line in lines {
            let runs = pixelRuns(line, plan: plan)
            if line.lineWidth > 0 {
                canvas.polylines(runs, width: canvas.px(line.lineWidth), color: line.color, clip: box)
            }
            if let marker = line.marker {
                canvas.dots(runs.flatMap { $0 }, diameter: canvas.px(marker.size), color: line.color, clip: box)
            }
        }
        if isAxisVisible {
            drawSpinesAndTicks(plan, canvas: canvas)
        }
        for label in plan.labels {
            label.draw(on: canvas)
        }
        if let location = legendLocation {
            drawLegend(location: location, plan: plan, canvas: canvas)
        }
    }

    /// Splits a line at non-drawable points, the way NaN breaks a matplotlib line.
    func pixelRuns(_ line: Line, plan: AxesPlan) -> [[Point]] {
        var runs: [[Point]] = []
        var current: [Point] = []
        for (x, y) in zip(line.x, line.y) {
            let p = x.isFinite && y.isFinite && (yScale == .linear || y > 0) ? plan.point(x, y) : nil
            if let p, p.x.isFinite, p.y.isFinite {
                current.append(p)
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    private func drawImage(_ layer: Image, plan: AxesPlan, canvas: Canvas) {
        let image = layer.image
        guard image.width > 0, image.height > 0 else { return }
        let topLeft = plan.point(-0.5, -0.5)
        let bottomRight = plan.point(Double(image.width) - 0.5, Double(image.height) - 0.5)
        let destination = Rect(minX: topLeft.x, minY: topLeft.y, maxX: bottomRight.x, maxY: bottomRight.y)
        canvas.image(colorMapped(layer), width: image.width, height: image.height,
                     into: destination, clip: plan.box)
    }

    private func drawGrid(_ plan: AxesPlan, canvas: Canvas) {
        let width = canvas.px(Style.gridLineWidth)
        for tick in plan.xTicks where tick.isMajor {
            let x = plan.point(tick.value, plan.y.low).x
            canvas.crispLine(from: Point(x: x, y: plan.box.minY), to: Point(x: x, y: plan.box.maxY),
                             width: width, color: Style.gridColor)
        }
        for tick in plan.yTicks where tick.isMajor {
            let y = plan.point(plan.x.low, tick.value).y
            canvas.crispLine(from: Point(x: plan.box.minX, y: y), to: Point(x: plan.box.maxX, y: y),
                             width: width, color: Style.gridColor)
        }
    }

    private func drawSpinesAndTicks(_ plan: AxesPlan, canvas: Canvas) {
        let box = plan.box
        let spine = canvas.px(Style.axesLineWidth)
        let corners = [Point(x: box.minX, y: box.minY), Point(x: box.maxX, y: box.minY),
                       Point(x: box.maxX, y: box.maxY), Point(x: box.minX, y: box.maxY)]
        for i in 0..<4 {
            canvas.crispLine(from: corners[i], to: corners[(i + 1) % 4], width: spine, color: .black)
        }
        for tick in plan.xTicks {
            let x = plan.point(tick.value, plan.y.low).x
            let length = canvas.px(tick.isMajor ? Style.majorTickLength : Style.minorTickLength)
            canvas.crispLine(from: Point(x: x, y: box.maxY), to: Point(x: x, y: box.maxY + length),
                             width: canvas.px(tick.isMajor ? Style.majorTickWidth : Style.minorTickWidth),
                             color: .black)
        }
        for tick in plan.yTicks {
            let y = plan.point(plan.x.low, tick.value).y
            let length = canvas.px(tick.isMajor ? Style.majorTickLength : Style.minorTickLength)
            canvas.crispLine(from: Point(x: box.minX - length, y: y), to: Point(x: box.minX, y: y),
                             width: canvas.px(tick.isMajor ? Style.majorTickWidth : Style.minorTickWidth),
                             color: .black)
        }
    }
}
