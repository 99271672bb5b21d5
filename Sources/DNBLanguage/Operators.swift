import Foundation
import DNBSupport

/// A failed operation. `isTypeError` tells `check` (which runs operators on
/// sample values of the known types) a wrong kind of operand, always an error,
/// from a wrong value (`1 / 0`), which only literal operands prove.
struct OperatorError: Error {
    var message: String
    var isTypeError: Bool

    static func type(_ message: String) -> OperatorError { OperatorError(message: message, isTypeError: true) }
    static func value(_ message: String) -> OperatorError { OperatorError(message: message, isTypeError: false) }
}

/// The arithmetic, comparisons and functions of dnb expressions, following
/// Python: `/` gives a float, `//` floors, `%` takes the sign of the divisor,
/// `int ** int` (exponent ≥ 0) stays an int. Where Python would grow an
/// unbounded int or a huge string, dnb stops with an error instead (see
/// docs/language.md, *Expressions*). `and`, `or` short-circuit, so the
/// interpreter evaluates them itself.
enum Operators {
    static let functions = ["len", "min", "max", "sum", "abs", "range", "int", "float", "str", "round"]

    /// The longest string an expression may build: doubling a string in a loop
    /// would otherwise exhaust memory in about 30 iterations. 10 M characters is
    /// far more than any label or file name.
    static let maximumStringLength = 10_000_000

    static func unary(_ symbol: String, _ operand: Value) throws(OperatorError) -> Value {
        switch (symbol, operand) {
        case ("-", .int(let value)):
            guard value != Int.min else { throw .value("integer overflow: -(\(value)) does not fit in 64 bits") }
            return .int(-value)
        case ("-", .float(let value)): return .float(-value)
        case ("not", .bool(let value)): return .bool(!value)
        case ("not", _): throw .type("'not' needs a bool, got \(operand.typedLiteral)")
        default: throw .type("unary '\(symbol)' needs a number, got \(operand.typedLiteral)")
        }
    }

    static func binary(_ symbol: String, _ left: Value, _ right: Value) throws(OperatorError) -> Value {
        switch symbol {
        case "==": return .bool(equal(left, right))
        case "!=": return .bool(!equal(left, right))
        case "<", "<=", ">", ">=": return .bool(try compare(symbol, left, right))
        case "and", "or":
            guard case .bool(let a) = left, case .bool(let b) = right else {
                throw .type("'\(symbol)' needs bools, got \(left.typeName) and \(right.typeName)")
            }
            return .bool(symbol == "and" ? a && b : a || b)
        default: break
        }
        switch (left, right) {
        case (.int(let a), .int(let b)): return try integer(symbol, a, b)
        case (.int, .float), (.float, .int), (.float, .float):
            return try floating(symbol, number(left)!, number(right)!)
        case (.string(let a), .string(let b)) where symbol == "+":
            guard a.count + b.count <= maximumStringLength else {
                throw .value("the string would have \(a.count + b.count) characters; at most \(maximumStringLength) are allowed")
            }
            return .string(a + b)
        case (.list(let a), .list(let b)) where symbol == "+":
            guard a.count + b.count <= Expression.maximumRangeLength else {
                throw .value("the list would have \(a.count + b.count) values; at most \(Expression.maximumRangeLength) are allowed")
            }
            return .list(a + b)
        default:
            var message = "'\(symbol)' cannot combine \(left.typeName) and \(right.typeName)"
            if symbol == "/", case .string = left {
                message += "; to join paths write \"{$dir}/name\""
            } else if symbol == "+", case .string = left {
                message += "; to put a number in a string write \"…{$n}\""
            }
            throw .type(message)
        }
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .float(let number): number
        default: nil
        }
    }

    private static func overflow(_ a: Int, _ symbol: String, _ b: Int) -> OperatorError {
        .value("integer overflow: \(a) \(symbol) \(b) does not fit in 64 bits; write one operand as a float (\(a).0)")
    }

    private static func integer(_ symbol: String, _ a: Int, _ b: Int) throws(OperatorError) -> Value {
        func checked(_ result: (partialValue: Int, overflow: Bool)) throws(OperatorError) -> Value {
            guard !result.overflow else { throw overflow(a, symbol, b) }
            return .int(result.partialValue)
        }
        switch symbol {
        case "+": return try checked(a.addingReportingOverflow(b))
        case "-": return try checked(a.subtractingReportingOverflow(b))
        case "*": return try checked(a.multipliedReportingOverflow(by: b))
        case "/", "//", "%":
            guard b != 0 else { throw .value("division by zero: \(a) \(symbol) 0") }
            if symbol == "/" { return try floating(symbol, Double(a), Double(b)) }
            let quotient = a.dividedReportingOverflow(by: b)
            guard !quotient.overflow else { throw overflow(a, symbol, b) }
            // Swift truncates toward zero; Python floors, so the remainder takes the divisor's sign.
            var (q, r) = (quotient.partialValue, a - quotient.partialValue * b)
            if r != 0, (r < 0) != (b < 0) {
                q -= 1
                r += b
            }
            return .int(symbol == "//" ? q : r)
        case "**":
            guard b >= 0 else {
                guard a != 0 else { throw .value("0 cannot be raised to a negative power (\(a) ** \(b))") }
                return try floating(symbol, Double(a), Double(b))
            }
            var (result, base, exponent) = (1, a, b)
            while exponent > 0 {
                if exponent & 1 == 1 {
                    let product = result.multipliedReportingOverflow(by: base)
                    guard !product.overflow else { throw overflow(a, symbol, b) }
                    result = product.partialValue
                }
                exponent >>= 1
                if exponent > 0 {
                    let square = base.multipliedReportingOverflow(by: base)
                    guard !square.overflow else { throw overflow(a, symbol, b) }
                    base = square.partialValue
                }
            }
            return .int(result)
        default:
            throw .type("'\(symbol)' cannot combine int and int")
        }
    }

    private static func floating(_ symbol: String, _ a: Double, _ b: Double) throws(OperatorError) -> Value {
        let result: Double
        switch symbol {
        case "+": result = a + b
        case "-": result = a - b
        case "*": result = a * b
        case "/", "//", "%":
            guard b != 0 else { throw .value("division by zero: \(Value.format(a)) \(symbol) 0") }
            if symbol == "/" {
                result = a / b
            } else {
                let remainder = fmod(a, b)
                let modulo = remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder
                result = symbol == "%" ? modulo : ((a - modulo) / b).rounded()
            }
        case "**":
            if a == 0, b < 0 { throw .value("0 cannot be raised to a negative power") }
            if a < 0, b != b.rounded() {
                throw .value("a negative number to a fractional power is not a real number (\(Value.format(a)) ** \(Value.format(b)))")
            }
            result = pow(a, b)
        default:
            throw .type("'\(symbol)' cannot combine float and float")
        }
        guard result.isFinite else {
            throw .value("\(Value.format(a)) \(symbol) \(Value.format(b)) is not a finite number (float overflow)")
        }
        return .float(result)
    }

    /// `==` as in Python: numbers compare by value across int and float, other values by kind and content.
    static func equal(_ left: Value, _ right: Value) -> Bool {
        switch (left, right) {
        case (.int(let a), .float(let b)): return compareExactly(a, b) == 0
        case (.float(let a), .int(let b)): return compareExactly(b, a) == 0
        default: return left == right
        }
    }

    /// -1, 0 or 1 comparing an int with a double without rounding the int
    /// (2^53 + 1 is not 2^53 as a double would say).
    private static func compareExactly(_ a: Int, _ b: Double) -> Int? {
        guard !b.isNaN else { return nil }
        if b >= 9.223372036854775807e18 { return -1 }
        if b < -9.223372036854775808e18 { return 1 }
        let whole = b.rounded(.down)
        let integer = Int(whole)
        if a != integer { return a < integer ? -1 : 1 }
        return whole == b ? 0 : -1
    }

    private static func compare(_ symbol: String, _ left: Value, _ right: Value) throws(OperatorError) -> Bool {
        let order: Int?
        switch (left, right) {
        case (.int(let a), .int(let b)): order = a < b ? -1 : a == b ? 0 : 1
        case (.float(let a), .float(let b)): order = a < b ? -1 : a == b ? 0 : a > b ? 1 : nil
        case (.int(let a), .float(let b)): order = compareExactly(a, b)
        case (.float(let a), .int(let b)): order = compareExactly(b, a).map { -$0 }
        case (.string(let a), .string(let b)): order = a < b ? -1 : a == b ? 0 : 1
        default: throw .type("'\(symbol)' cannot compare \(left.typeName) with \(right.typeName)")
        }
        guard let order else { return false }
        switch symbol {
        case "<": return order < 0
        case "<=": return order <= 0
        case ">": return order > 0
        default: return order >= 0
        }
    }

    /// `list[i]` or `string[i]`; negative indices count from the end.
    static func index(_ base: Value, _ index: Value) throws(OperatorError) -> Value {
        guard case .int(let position) = index else {
            throw .type("an index must be an int, got \(index.typedLiteral)")
        }
        func element<C: Collection>(of collection: C, _ what: String) throws(OperatorError) -> C.Element {
            let count = collection.count
            let resolved = position < 0 ? position &+ count : position
            guard position >= -count, resolved < count, resolved >= 0 else {
                throw .value("index \(position) is out of range for a \(what) of \(count) (allowed: \(-count) to \(count - 1))")
            }
            return collection[collection.index(collection.startIndex, offsetBy: resolved)]
        }
        switch base {
        case .list(let values): return try element(of: values, "list")
        case .string(let text): return .string(String(try element(of: text, "string")))
        default: throw .type("only lists and strings can be indexed, got \(base.typedLiteral)")
        }
    }

    /// Python's `round`: to the nearest, ties to even; `round(x)` is an int, `round(x, n)` keeps x's type
    /// with n digits after the point (0 to 15: a double holds about 15 to 17 significant digits).
    private static func round(_ arguments: [Value]) throws(OperatorError) -> Value {
        var digits: Int?
        if arguments.count == 2 {
            guard case .int(let n) = arguments[1] else { throw .type("round's digits must be an int, got \(arguments[1].typedLiteral)") }
            guard (0...15).contains(n) else { throw .value("round's digits must be from 0 to 15, got \(n)") }
            digits = n
        }
        switch arguments[0] {
        case .int: return arguments[0]
        case .float(let value):
            guard let digits else {
                guard let whole = Int(exactly: value.rounded(.toNearestOrEven)) else {
                    throw .value("\(Value.format(value)) does not fit in a 64-bit int")
                }
                return .int(whole)
            }
            let scale = pow(10, Double(digits))
            let scaled = value * scale
            // Beyond 2^52 a double has no fraction left to round.
            guard scaled.isFinite, abs(scaled) < 0x1p52 else { return .float(value) }
            return .float(scaled.rounded(.toNearestOrEven) / scale)
        default: throw .type("round needs a number, got \(arguments[0].typedLiteral)")
        }
    }

    /// `record.name`; a missing field is named with the nearest one and the fields there are.
    static func field(_ base: Value, _ name: String) throws(OperatorError) -> Value {
        guard case .record(let record) = base else {
            throw .type("only records have fields, got \(base.typedLiteral) (.\(name))")
        }
        if let value = record[name] { return value }
        throw .value(missingFieldMessage(name, in: record.names))
    }

    static func missingFieldMessage(_ name: String, in names: [String], of owner: String = "the record") -> String {
        var message = "\(owner) has no field '\(name)'"
        if let near = Suggestions.nearest(to: name, in: names) { message += "; did you mean '\(near)'?" }
        return message + (names.isEmpty ? " (it has no fields)" : " (fields: \(names.joined(separator: ", ")))")
    }

    static func call(_ name: String, _ arguments: [Value]) throws(OperatorError) -> Value {
        func arity(_ allowed: ClosedRange<Int>, _ usage: String) throws(OperatorError) {
            guard allowed.contains(arguments.count) else {
                throw .type("\(name) takes \(usage), got \(arguments.count) argument\(arguments.count == 1 ? "" : "s")")
            }
        }
        switch name {
        case "len":
            try arity(1...1, "one list or string")
            switch arguments[0] {
            case .list(let values): return .int(values.count)
            case .string(let text): return .int(text.count)
            default: throw .type("len needs a list or string, got \(arguments[0].typedLiteral)")
            }
        case "min", "max":
            try arity(1...Int.max, "a list, or several values")
            var values = arguments
            if arguments.count == 1 {
                guard case .list(let elements) = arguments[0] else {
                    throw .type("\(name) of one value needs a list, got \(arguments[0].typedLiteral)")
                }
                values = elements
            }
            guard var best = values.first else { throw .value("\(name) of an empty list") }
            for value in values.dropFirst() where try compare(name == "min" ? "<" : ">", value, best) { best = value }
            return best
        case "sum":
            try arity(1...1, "one list of numbers")
            guard case .list(let values) = arguments[0] else {
                throw .type("sum needs a list of numbers, got \(arguments[0].typedLiteral)")
            }
            var total = Value.int(0)
            for value in values {
                guard number(value) != nil else { throw .type("sum needs numbers, got \(value.typedLiteral)") }
                total = try binary("+", total, value)
            }
            return total
        case "abs":
            try arity(1...1, "one number")
            switch arguments[0] {
            case .int(let value) where value < 0: return try unary("-", .int(value))
            case .int, .float(0...): return arguments[0]
            case .float(let value): return .float(-value)
            default: throw .type("abs needs a number, got \(arguments[0].typedLiteral)")
            }
        case "range":
            try arity(1...3, "stop, start and stop, or start, stop and step (ints)")
            var bounds: [Int] = []
            for argument in arguments {
                guard case .int(let bound) = argument else { throw .type("range needs ints, got \(argument.typedLiteral)") }
                bounds.append(bound)
            }
            let (start, stop, step) = bounds.count == 1 ? (0, bounds[0], 1) : (bounds[0], bounds[1], bounds.count == 3 ? bounds[2] : 1)
            guard step != 0 else { throw .value("range step must not be zero") }
            // Count in Double first: stop - start may overflow Int; exact below the limit.
            let count = max(0, ((Double(stop) - Double(start)) / Double(step)).rounded(.up))
            guard count <= Double(Expression.maximumRangeLength) else {
                throw .value("range(\(bounds.map(String.init).joined(separator: ", "))) has \(Int(count)) values; "
                                + "at most \(Expression.maximumRangeLength) are allowed")
            }
            return .list(stride(from: start, to: stop, by: step).map(Value.int))
        case "int":
            try arity(1...1, "one number or string")
            switch arguments[0] {
            case .int: return arguments[0]
            case .float(let value):
                guard let whole = Int(exactly: value.rounded(.towardZero)) else {
                    throw .value("\(Value.format(value)) does not fit in a 64-bit int")
                }
                return .int(whole)
            case .string(let text):
                guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                    throw .value("int(\(Value.quote(String(text.prefix(40))))): not a whole number in 64 bits")
                }
                return .int(value)
            default: throw .type("int needs a number or string, got \(arguments[0].typedLiteral)")
            }
        case "round":
            try arity(1...2, "a number and optionally how many digits after the point")
            return try round(arguments)
        case "float":
            try arity(1...1, "one number or string")
            switch arguments[0] {
            case .int(let value): return .float(Double(value))
            case .float: return arguments[0]
            case .string(let text):
                guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw .value("float(\(Value.quote(String(text.prefix(40))))): not a finite number")
                }
                return .float(value)
            default: throw .type("float needs a number or string, got \(arguments[0].typedLiteral)")
            }
        default:
            try arity(1...1, "one value")
            let text = arguments[0].description
            guard text.utf8.count <= maximumStringLength else {
                throw .value("str(…) would have \(text.utf8.count) bytes; at most \(maximumStringLength) characters are allowed")
            }
            return .string(text)
        }
    }
}
