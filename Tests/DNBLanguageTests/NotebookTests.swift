import Testing
@testable import DNBLanguage

@Suite struct NotebookTests {
    let source = """
        # Diffusion on MNIST

        Intro prose.

        ```dnb id=setup
        let n = 1
        print $n
        ```
        More prose with an example that is not a cell:

        ````markdown
        ```dnb
        not a cell
        ```
        ````

        ```dnb echo=false allow-error skip=false
        print two
        ```
        """

    @Test func splitsProseAndCodeWithFileLineNumbers() throws {
        let notebook = try Notebook(parsing: source, file: "nb.dnb")
        #expect(notebook.title == "Diffusion on MNIST")
        #expect(notebook.titleLine == 1)
        #expect(notebook.cells.map(\.isCode) == [false, true, false, true])
        let code = notebook.codeCells
        #expect(code.map(\.startLine) == [6, 18])
        #expect(code.map(\.fenceLine) == [5, 17])
        #expect(code.map(\.number) == [1, 2])
        #expect(code[0].text == "let n = 1\nprint $n")
        #expect(code[0].options == CellOptions(id: "setup"))
        #expect(code[1].options == CellOptions(echo: false, allowError: true, skip: false))
        #expect(notebook.cells[2].text.contains("not a cell"))
        #expect(notebook.cells[2].startLine == 9)
        #expect(code[0].label == "cell 1 (setup)")
    }

    @Test func errorsInsideCellsReportRealFileLines() throws {
        let notebook = try Notebook(parsing: "# T\n\n```dnb\nprint ok\nlet = 1\n```\n", file: "nb.dnb")
        let cell = try #require(notebook.codeCells.first)
        let error = try #require(throws: ParseError.self) {
            try Parser.parse(cell.text, file: notebook.file, firstLine: cell.startLine)
        }
        #expect(error.diagnostic.summary == "nb.dnb:5:5: expected a variable name after 'let', found '='")
    }

    @Test func rejectsUnclosedCellsAndBadOptions() throws {
        let unclosed = try #require(throws: ParseError.self) { try Notebook(parsing: "text\n```dnb\nprint 1\n", file: "nb.dnb") }
        #expect(unclosed.diagnostic.summary == "nb.dnb:2:1: code cell opened here is never closed; add a line with ``` after its code")
        let option = try #require(throws: ParseError.self) { try Notebook(parsing: "```dnb id=a ecko=false\n```") }
        #expect(option.diagnostic.summary == "1:13: unknown cell option 'ecko'; did you mean 'echo'?")
        let flag = try #require(throws: ParseError.self) { try Notebook(parsing: "```dnb skip=maybe\n```") }
        #expect(flag.diagnostic.summary == "1:8: cell option 'skip' must be true or false, got 'maybe'")
        let duplicate = try #require(throws: ParseError.self) { try Notebook(parsing: "```dnb id=a\n```\n```dnb id=a\n```") }
        #expect(duplicate.diagnostic.summary == "3:1: cell id 'a' is already used by the cell at line 1")
    }

    @Test func otherLanguagesAndLongerFencesStayProse() throws {
        let notebook = try Notebook(parsing: "```python\nx = 1\n```\n```dnbx\n```\n")
        #expect(notebook.codeCells.isEmpty)
        #expect(notebook.cells.count == 1)
    }

    @Test func listsDeclaredParameters() throws {
        let notebook = try Notebook(parsing: """
            ```dnb
            param epochs: int = 1 "Training epochs"
            let x = 2
            ```
            ```dnb
            param lr: float = 1e-3
            param epochs: int = 9
            ```
            ```dnb skip
            param unused: int = 0
            ```
            """, file: "nb.dnb")
        let parameters = try Runner.parameters(of: notebook)
        #expect(parameters.map(\.name) == ["epochs", "lr"])
        #expect(parameters.map(\.defaultValue) == [1, 0.001])
        #expect(parameters.map(\.help) == ["Training epochs", nil])
        #expect(parameters[1].location == SourceLocation(file: "nb.dnb", line: 6, column: 1))
        #expect(Runner.parameterHelp(parameters) == """
            Parameters:
              --set epochs=<int>  Training epochs (default: 1)
              --set lr=<float>    (default: 0.001)

            """)
    }
}
