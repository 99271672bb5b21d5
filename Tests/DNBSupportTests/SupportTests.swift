import Foundation
import Testing
import DNBSupport
import DNBTestSupport

@Suite struct SupportTests {
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

    @Test func atomicWriteOverAFolderOrIntoAFileFailsWithTheCause() throws {
        let directory = try TemporaryDirectory()
        try AtomicFile.createDirectory(directory.path + "/sub")
        #expect(throws: FileError.self) { try AtomicFile.write("x", to: directory.path + "/") }
        try AtomicFile.write("x", to: directory.path + "/plain")
        let error = #expect(throws: FileError.self) { try AtomicFile.createDirectory(directory.path + "/plain") }
        #expect(error?.message.contains("a file of that name exists") == true)
        let nested = #expect(throws: FileError.self) { try AtomicFile.write("y", to: directory.path + "/plain/inner") }
        #expect(nested?.message.contains("Not a directory") == true)
        #expect(directory.contents == ["plain", "sub"])
    }

    @Test func shapesPrintAsLists() {
        #expect(describeShape([2, 32, 32, 1]) == "[2, 32, 32, 1]")
        #expect(describeShape([]) == "[]")
    }

    @Test func suggestionsTolerateSmallTypos() {
        #expect(Suggestions.nearest(to: "epoch", in: ["epochs", "lr"]) == "epochs")
        #expect(Suggestions.nearest(to: "shceduler", in: ["scheduler", "sample"]) == "scheduler")
        #expect(Suggestions.nearest(to: "sched", in: ["scheduler", "sample"]) == "scheduler")
        #expect(Suggestions.nearest(to: "zz", in: ["lr", "epochs"]) == nil)
        #expect(Suggestions.editDistance("kitten", "sitting") == 3)
        #expect(Suggestions.editDistance("ab", "ba") == 1)
    }
}

@Suite struct FolderLockTests {
    @Test func aSecondWriterIsRefusedUntilTheFirstReleases() throws {
        let directory = try TemporaryDirectory()
        let first = try FolderLock(directory.path, purpose: "output folder")
        // flock locks belong to the open file description, so a second open in the same process conflicts too.
        let refused = #expect(throws: FileError.self) { try FolderLock(directory.path, purpose: "output folder") }
        #expect(refused?.message.contains("in use by another dnb process") == true)
        #expect(refused?.message.contains(directory.path) == true)
        first.release()
        #expect(directory.contents == [], "a release removes the lock file")
        let second = try FolderLock(directory.path, purpose: "output folder")
        #expect(directory.contents == [FolderLock.fileName])
        second.release()
        #expect(directory.contents == [])
    }

    @Test func aSiblingLockSitsBesideTheFolderAndGoesWithTheRelease() throws {
        let directory = try TemporaryDirectory()
        let lock = try FolderLock(sibling: directory.path + "/ckpt/", purpose: "checkpoint")
        #expect(directory.contents == [".ckpt.dnb-lock"])
        #expect(throws: FileError.self) { try FolderLock(sibling: directory.path + "/ckpt", purpose: "checkpoint") }
        lock.release()
        #expect(directory.contents == [])
    }

    @Test func aMissingFolderIsAnError() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: FileError.self) { try FolderLock(directory.path + "/missing", purpose: "checkpoint") }
    }
}
