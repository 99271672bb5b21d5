import Foundation
import DNBSupport
import DNBData

/// NumPy's .npy format (version 1.0) for float32 arrays in C order: the magic
/// "\u{93}NUMPY", version bytes, a little-endian u16 header length, a Python-dict
/// header padded with spaces to a multiple of 64 bytes, then the raw data.
enum NumpyFile {
    struct Error: Swift.Error, CustomStringConvertible {
        let description: String
    }

    static func encode(shape: [Int], values: [Float]) -> Data {
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(dims), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        return data
    }

    static func decode(_ data: Data, path: String) throws -> (shape: [Int], values: [Float]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw Error(description: "\(path): not a .npy file")
        }
        let major = bytes[6]
        guard (1...3).contains(major) else { throw Error(description: "\(path): .npy format version \(major) (only 1, 2 and 3 are known)") }
        let (headerLength, start): (Int, Int) = major == 1
            ? (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
            : (bytes.count >= 12 ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : -1, 12)
        guard headerLength >= 0, headerLength <= bytes.count - start else { throw Error(description: "\(path): truncated .npy header") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'") else { throw Error(description: "\(path): only little-endian float32 arrays ('<f4') are supported") }
        guard header.contains("'fortran_order': False") else { throw Error(description: "\(path): Fortran-ordered arrays are not supported") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw Error(description: "\(path): no shape in the .npy header")
        }
        let shape = try header[open.upperBound..<close].split(separator: ",").map { s -> Int in
            guard let n = Int(s.trimmingCharacters(in: .whitespaces)), n >= 0 else { throw Error(description: "\(path): bad shape in the .npy header") }
            return n
        }
        // The shape is the file's claim: (2³², 2³², 16, 16) overflows Int.
        let offset = start + headerLength
        guard let count = elementCount(shape), count.multipliedReportingOverflow(by: 4) == (bytes.count - offset, false) else {
            let want = elementCount(shape).map { "\($0) float32 values = \($0.multipliedReportingOverflow(by: 4).overflow ? "more than 2⁶³" : String($0 * 4)) bytes" } ?? "more than 2⁶³ values"
            throw Error(description: "\(path): shape \(shape) needs \(want) of data, the file has \(bytes.count - offset)")
        }
        let values = bytes[offset...].withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        return (shape, values)
    }
}
