import Foundation

/// dnb's per-user cache folder: `$XDG_CACHE_HOME/dnb/NAME` (an absolute XDG_CACHE_HOME only, as the XDG spec
/// says), else `$HOME/.cache/dnb/NAME`. MNIST and the trained classifiers live there.
public func userCacheDirectory(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let x = environment["XDG_CACHE_HOME"], x.hasPrefix("/") { return x + "/dnb/" + name }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + "/.cache/dnb/" + name
}
