import Testing
import DNBSupport

/// How paths are named in reports (DisplayPath.swift): a fixed home and working directory, so the cases
/// do not depend on the machine the tests run on.
@Suite struct DisplayPathTests {
    let paths = DisplayPath(outputDirectory: "out/run", home: "/home/ada", workingDirectory: "/home/ada/work/dnb")

    @Test(arguments: [
        ("/home/ada/work/dnb/out/run/figures/loss.png", "figures/loss.png"),   // in the output folder
        ("out/run/samples.npy", "samples.npy"),                                // relative: from the working directory
        ("/home/ada/work/dnb/out/run", "."),
        ("/home/ada/work/dnb/notebooks/x.dnb", "notebooks/x.dnb"),             // in the working directory
        ("/home/ada/.cache/dnb/mnist", "~/.cache/dnb/mnist"),                  // in the home folder
        ("/home/ada/work/dnb/out/other/report.md", "out/other/report.md"),   // the working directory comes first
        ("/usr/share/datasets/fashion-mnist", "/usr/share/datasets/fashion-mnist"), // the distribution's
        ("/srv/cluster/users/ada/mnist", "…/ada/mnist"),                       // this machine's layout: the last two parts
        ("/data", "/data"),
    ])
    func pathsAreNamedRelativeToWhereTheReportIsRead(path: String, shown: String) {
        #expect(paths.shown(path) == shown)
    }

    @Test func nearbyFoldersAreReachedWithDots() {
        let work = DisplayPath(outputDirectory: "/work/repo/out/run", home: "/root", workingDirectory: "/work/repo")
        #expect(work.shown("/work/shared/data/mnist") == "../shared/data/mnist")
        #expect(work.shown("/work/repo/out/nb.dnb") == "out/nb.dnb", "in the working directory")
        #expect(DisplayPath(outputDirectory: "/tmp/t/out", home: "/root", workingDirectory: "/work/repo").shown("/tmp/t/nb.dnb") == "../nb.dnb",
                "beside the output folder: reached from the report")
        #expect(work.shown("/tmp/x/y/z") == "…/y/z", "no common folder but the root")
    }

    @Test func scrubRewritesPathsInFreeTextOnly() {
        let text = "cannot write /home/ada/work/dnb/out/run/figures/a.png: No space left; see /home/ada/notes.\n"
            + "fetched https://host/home/ada/x and 1/2 of /x; found in (\"/srv/a/b/c\")"
        #expect(paths.scrub(text) == "cannot write figures/a.png: No space left; see ~/notes.\n"
            + "fetched https://host/home/ada/x and 1/2 of /x; found in (\"…/b/c\")")
        #expect(paths.scrub("nb.dnb:3:1: /home/ada/work/dnb/nb.dnb:4") == "nb.dnb:3:1: nb.dnb:4")
    }
}
