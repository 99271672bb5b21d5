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
}
