import Foundation
import Testing
@testable import DNBTerminalGraphics

/// `TypedAhead` on a real pseudo-terminal pair: the keys are written to the master side, as a terminal
/// emulator would; the slave side is in canonical mode, as between two prompts.
@Suite struct TypedAheadTests {
    final class PseudoTerminal {
        let master: Int32, slave: Int32
        init() throws {
            // glibc's posix_openpt, unlockpt and ptsname are behind _XOPEN_SOURCE, which Swift's Glibc module
            // does not define: look them up by name.
            typealias Open = @convention(c) (Int32) -> Int32
            typealias Unlock = @convention(c) (Int32) -> Int32
            typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
            let handle = dlopen(nil, RTLD_NOW)
            guard let openSymbol = dlsym(handle, "posix_openpt"), let unlockSymbol = dlsym(handle, "unlockpt"),
                  let nameSymbol = dlsym(handle, "ptsname") else { throw POSIXError(.ENOSYS) }
            master = unsafeBitCast(openSymbol, to: Open.self)(O_RDWR | O_NOCTTY)
            guard master >= 0, unsafeBitCast(unlockSymbol, to: Unlock.self)(master) == 0,
                  let name = unsafeBitCast(nameSymbol, to: Name.self)(master) else { throw POSIXError(.ENXIO) }
            slave = open(name, O_RDWR | O_NOCTTY)
            guard slave >= 0 else { throw POSIXError(.ENXIO) }
        }
        func type(_ keys: String) {
            _ = keys.utf8CString.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count - 1) }
            // The line discipline processes the keys on the kernel's work queue: give it a moment.
            Thread.sleep(forTimeInterval: 0.05)
        }
        func readAvailable() -> String {
            var settings = termios()
            tcgetattr(slave, &settings)
            var raw = settings
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
            withUnsafeMutableBytes(of: &raw.c_cc) { $0[Int(VMIN)] = 0; $0[Int(VTIME)] = 0 }
            tcsetattr(slave, TCSANOW, &raw)
            defer { tcsetattr(slave, TCSANOW, &settings) }
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = read(slave, &buffer, buffer.count)
            return String(decoding: buffer[..<max(0, count)], as: UTF8.self)
        }
        deinit { close(slave); close(master) }
    }

    @Test func aLeadingCtrlDIsTakenAndNothingElse() throws {
        let terminal = try PseudoTerminal()
        #expect(!TypedAhead.takeLeadingEndOfFile(from: terminal.slave), "nothing typed")
        terminal.type("\u{4}")
        #expect(TypedAhead.takeLeadingEndOfFile(from: terminal.slave))
        #expect(!TypedAhead.takeLeadingEndOfFile(from: terminal.slave), "taken once")
        // An unfinished line after it stays, for readline.
        terminal.type("\u{4}pri")
        #expect(TypedAhead.takeLeadingEndOfFile(from: terminal.slave))
        #expect(terminal.readAvailable() == "pri")
        // A whole line after it: the terminal counts that line's bytes only, so the mark is not known to be
        // first and is left alone (readline reads it as a NUL, then the line).
        let second = try PseudoTerminal()
        second.type("\u{4}print 1\n")
        #expect(!TypedAhead.takeLeadingEndOfFile(from: second.slave))
        #expect(second.readAvailable() == "\0print 1\n")
    }

    @Test func aCtrlDAfterOtherKeysIsLeftAlone() throws {
        let terminal = try PseudoTerminal()
        // A whole line first: readline reads it, then the mark is first (the REPL asks again before the next prompt).
        terminal.type("print 1\n\u{4}")
        #expect(!TypedAhead.takeLeadingEndOfFile(from: terminal.slave))
        #expect(terminal.readAvailable().hasPrefix("print 1\n"))
        // Ctrl-D after an unfinished line hands the line over without a newline: not an end of input.
        let second = try PseudoTerminal()
        second.type("pri\u{4}")
        #expect(!TypedAhead.takeLeadingEndOfFile(from: second.slave))
        #expect(second.readAvailable() == "pri\0")
    }

    @Test func notATerminalOrInRawModeIsNeverRead() throws {
        let terminal = try PseudoTerminal()
        var settings = termios()
        tcgetattr(terminal.slave, &settings)
        var raw = settings
        raw.c_lflag &= ~tcflag_t(ICANON)
        tcsetattr(terminal.slave, TCSANOW, &raw)
        terminal.type("\u{4}")
        #expect(!TypedAhead.takeLeadingEndOfFile(from: terminal.slave), "raw mode: Ctrl-D is a key for readline")
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        close(pipeEnds[1])
        // A pipe at end of file polls ready and reads 0, but it is no terminal.
        #expect(!TypedAhead.takeLeadingEndOfFile(from: pipeEnds[0]))
        close(pipeEnds[0])
    }
}
