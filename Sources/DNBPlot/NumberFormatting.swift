import CCairo

/// matplotlib typesets minus signs as U+2212 MINUS SIGN (axes.unicode_minus),
/// which is wider than a hyphen and lines up with "+".
func unicodeMinus(_ text: String) -> String {
    String(text.map { $0 == "-" ? "\u{2212}" : $0 })
}

/// printf("%.*f"): Swift's own description would switch to exponent form.
func formatFixed(_ value: Double, decimals: Int) -> String {
    cFormat("%.*f", Int32(max(0, min(decimals, 30))), value)
}

/// printf("%.10g"), the mantissa format of matplotlib's offset text.
func formatG(_ value: Double) -> String {
    cFormat("%.10g", value)
}

private func cFormat(_ format: String, _ arguments: CVarArg...) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    _ = withVaList(arguments) { vsnprintf(&buffer, buffer.count, format, $0) }
    return cString(buffer)
}
