import Foundation
import Testing
import DNBTestSupport
@testable import DNBReportHTML

@Suite("report as HTML")
struct HTMLReportTests {
    @Test func placeholder() {
        #expect(HTMLReport.fileName == "report.html")
    }
}
