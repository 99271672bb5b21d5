import Foundation
import Testing
@testable import DNBLanguage

@Suite struct SessionTests {
    @Test func savesEntriesAsARunnableNotebook() throws {
        var session = Session()
        session.record("let n = 2\n")
        session.record("   ")
        session.record("for i in 1..$n {\n  print $i\n}")
        #expect(session.entries.count == 2)
        let directory = try TemporaryDirectory()
        let path = directory.path + "/session.dnb"
        try session.save(to: path, title: "My session")
        let text = try directory.read("session.dnb")
        #expect(text == "# My session\n\n```dnb\nlet n = 2\nfor i in 1..$n {\n  print $i\n}\n```\n")
        #expect(directory.contents == ["session.dnb"])

        let notebook = try Notebook(parsing: text, file: path)
        #expect(notebook.title == "My session")
        let output = Output()
        let interpreter = Interpreter(interrupt: Interrupt())
        try interpreter.run(notebook.codeCells[0].text, output: output)
        #expect(output.items == [.text("1\n2\n")])
    }

    @Test func atomicWritesReplaceWholeFilesAndLeaveNoTemporaries() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/report.md"
        try AtomicFile.write("old content that is longer", to: path)
        try AtomicFile.write("new", to: path)
        #expect(try directory.read("report.md") == "new")
        #expect(directory.contents == ["report.md"])
        #expect(throws: FileError.self) { try AtomicFile.write("x", to: directory.path + "/missing/dir/file") }
        #expect(directory.contents == ["report.md"])
        try AtomicFile.createDirectory(directory.path + "/a/b/c")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/a/b/c"))
    }
}
