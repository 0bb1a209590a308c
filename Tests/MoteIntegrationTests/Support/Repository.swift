import Foundation

/// Paths inside this repository, found from this source file.
enum Repository {
    static let root: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path

    static func path(_ relative: String) -> String { root + "/" + relative }
}
