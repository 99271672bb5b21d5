import Foundation
import Testing
@testable import DNBLanguage
import DNBTestSupport

@Suite struct SessionTests {
    @Test func savesEntriesAsARunnableNotebook() throws {
        var session = Session()
        session.record("let n = 2\n")
        session.record("   ")
        session.record("for i in 1..$n {\n  print $i\n}")
        // Inspection only: a replay does not need them.
        session.record("help")
        session.record("vars\nprint $n")
        #expect(session.entries.count == 2)
        let directory = try TemporaryDirectory()
        let path = directory.path + "/session.dnb"
        try session.save(to: path, title: "My session")
        let text = try directory.read("session.dnb")
        #expect(text == "# My session\n\n```dnb\nlet n = 2\n```\n\n```dnb\nfor i in 1..$n {\n  print $i\n}\n```\n")
        #expect(directory.contents == ["session.dnb"])

        let notebook = try Notebook(parsing: text, file: path)
        #expect(notebook.title == "My session")
        let output = Output()
        let interpreter = Interpreter(interrupt: Interrupt())
        for cell in notebook.codeCells { try interpreter.run(cell.text, output: output) }
        #expect(output.items == [.text("1\n2\n")])
    }
}
