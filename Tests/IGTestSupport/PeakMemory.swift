import Foundation
import XCTest

// Shared by the crafted-file limit tests (IGImagingTests, IGONNXTests).

/// Runs `body` and fails when the process's peak resident set (VmHWM, reset first through
/// /proc/self/clear_refs) rose more than `slackMB` above the resident set before it: a limit
/// that works refuses a crafted file before allocating what its header asks for.
public func assertSmallPeakMemory(_ what: String, slackMB: Int = 32, file: StaticString = #filePath, line: UInt = #line,
                           _ body: () throws -> Void) throws {
    guard let clear = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else {
        throw XCTSkip("/proc/self/clear_refs cannot be written here, so the peak memory cannot be measured")
    }
    clear.write(Data("5".utf8))   // 5: reset the peak RSS to the current RSS (Linux >= 4.0)
    try? clear.close()
    let before = try procStatusKB("VmRSS")
    try body()
    let peak = try procStatusKB("VmHWM")
    XCTAssertLessThan(peak - before, slackMB * 1024,
                      "\(what): the peak resident memory rose by \((peak - before) / 1024) MB", file: file, line: line)
}

/// A "Key:   N kB" line of /proc/self/status.
public func procStatusKB(_ key: String) throws -> Int {
    let text = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
    for l in text.split(separator: "\n") where l.hasPrefix(key + ":") {
        if let n = Int(l.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") { return n }
    }
    throw XCTSkip("/proc/self/status has no \(key)")
}
