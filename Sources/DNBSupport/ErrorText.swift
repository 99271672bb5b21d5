import Foundation

/// The text users see for an error. Foundation's file errors print as
/// "Error Domain=NSCocoaErrorDomain Code=640 …" (a full disk); they become
/// "cannot write FILE: No space left on device", naming the file and the
/// cause. Every other error prints its own description.
public func describeError(_ error: any Error) -> String {
    guard isFoundationError(error) else { return "\(error)" }
    let bridged = error as NSError
    let info = bridged.userInfo
    let path = info[NSFilePathErrorKey] as? String ?? (info[NSURLErrorKey] as? URL)?.path
    let code = bridged.code
    let action = bridged.domain == NSCocoaErrorDomain && (256..<512).contains(code) ? "read"
        : bridged.domain == NSCocoaErrorDomain && (512..<768).contains(code) ? "write" : "access"
    let what = path.map { "cannot \(action) \($0)" } ?? "file operation failed"
    return what + ": " + errorCause(error)
}

/// The cause alone, for messages that already name the file: "No space left on device" for
/// Foundation's and POSIX errors, the error's own description otherwise.
public func errorCause(_ error: any Error) -> String {
    guard isFoundationError(error) else { return "\(error)" }
    let bridged = error as NSError
    if let underlying = bridged.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if bridged.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(bridged.code))) }
    switch CocoaError.Code(rawValue: bridged.code) {
    case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
    case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
    case .fileWriteNoPermission, .fileReadNoPermission: return String(cString: strerror(EACCES))
    case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
    case .fileWriteFileExists: return String(cString: strerror(EEXIST))
    case .fileReadInapplicableStringEncoding, .fileReadCorruptFile: return "not readable as text"
    default: return bridged.localizedDescription
    }
}

private func isFoundationError(_ error: any Error) -> Bool {
    error is CocoaError || error is POSIXError || type(of: error) == NSError.self
}
