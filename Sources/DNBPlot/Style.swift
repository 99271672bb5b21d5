/// matplotlib's default rcParams that shape the look of a figure, in points
/// (1/72 inch) or font-size multiples exactly as matplotlib states them.
enum Style {
    static let fontFamily = "DejaVu Sans"
    static let fontSize = 10.0                 // font.size
    static let titleSize = 12.0                // axes.titlesize: "large"
    static let suptitleSize = 12.0             // figure.titlesize: "large"
    static let labelSize = 10.0                // axes.labelsize: "medium"
    static let tickLabelSize = 10.0            // xtick/ytick.labelsize: "medium"
    static let legendSize = 10.0               // legend.fontsize: "medium"

    static let axesLineWidth = 0.8             // axes.linewidth
    static let lineWidth = 1.5                 // lines.linewidth
    static let gridLineWidth = 0.8             // grid.linewidth
    static let gridColor = Color(hex: "#b0b0b0")

    static let majorTickLength = 3.5           // xtick.major.size
    static let majorTickWidth = 0.8
    static let minorTickLength = 2.0           // xtick.minor.size
    static let minorTickWidth = 0.6
    static let tickPad = 3.5                   // xtick.major.pad
    static let titlePad = 6.0                  // axes.titlepad
    static let labelPad = 4.0                  // axes.labelpad
    static let offsetTextPad = 3.0             // Axis.OFFSETTEXTPAD

    static let margin = 0.05                   // axes.xmargin / ymargin
    static let tightLayoutPad = 1.08           // tight_layout(pad=1.08), in font sizes
    static let suptitleY = 0.98                // Figure.suptitle(y=0.98)

    // legend.*: lengths in units of the legend font size.
    static let legendBorderPad = 0.4
    static let legendLabelSpacing = 0.5
    static let legendHandleLength = 2.0
    static let legendHandleHeight = 0.7
    static let legendHandleTextPad = 0.8
    static let legendBorderAxesPad = 0.5
    static let legendFrameAlpha = 0.8
    static let legendEdgeColor = Color(gray: 0.8)
    static let legendFrameLineWidth = 1.0      // patch.linewidth
    static let legendRounding = 0.2            // FancyBboxPatch rounding_size

    /// Default subplot parameters, the layout tight_layout starts from.
    static let subplotLeft = 0.125
    static let subplotRight = 0.9
    static let subplotBottom = 0.11
    static let subplotTop = 0.88
    static let subplotWSpace = 0.2
    static let subplotHSpace = 0.2
}
