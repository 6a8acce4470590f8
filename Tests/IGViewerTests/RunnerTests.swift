import Foundation
import IGExplain
import IGModel
import IGViewer
import XCTest

final class RunnerTests: XCTestCase {
    /// Drains events until `until` holds for one of them (or the deadline passes).
    func collect(_ r: JobRunner, seconds: Double = 60, until: (JobEvent) -> Bool) -> [JobEvent] {
        var all = [JobEvent]()
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            let e = r.drain()
            all += e
            if e.contains(where: until) { return all }
            usleep(5_000)
        }
        return all
    }

    func testLoadsClassifiesExplainsAndSkipsUnreadable() throws {
        let model = try tinyModel()
        let good = try writeTestPNG()
        let bad = (good as NSString).deletingLastPathComponent + "/broken.png"
        try Data("not a png at all".utf8).write(to: URL(fileURLWithPath: bad))
        let r = JobRunner(model: model, topK: 3)
        r.start()
        defer { r.stop() }
        r.request(WorkRequest(image: bad, keys: []))
        let ev = collect(r) { if case .imageFailed = $0 { return true } else { return false } }
        guard case .imageFailed(let p, let msg)? = ev.last else { return XCTFail("no failure for a broken file: \(ev)") }
        XCTAssertEqual(p, bad)
        XCTAssertTrue(msg.contains("broken.png"), msg)

        var s = state(for: model, paths: [good])
        r.request(try XCTUnwrap(s.work))
        let ev2 = collect(r) { if case .imageLoaded = $0 { return true } else { return false } }
        for e in ev2 { s = reduce(s, e).0 }
        XCTAssertNotNil(s.image)
        XCTAssertEqual(s.top.count, 3)
        XCTAssertEqual(s.classIndex, s.top.first?.classIndex)
        // Grad-CAM on the loaded image: the same map the explainer gives directly.
        s.method = .gradCAM
        let key = try XCTUnwrap(s.currentKey)
        r.request(try XCTUnwrap(s.work))
        let ev3 = collect(r) { if case .finished(let k, _) = $0 { return k == key } else { return false } }
        for e in ev3 { s = reduce(s, e).0 }
        let got = try XCTUnwrap(s.results[key])
        let direct = try Explainer(model: model, image: testImage()).explain(.gradCAM, layer: key.layer, classIndex: key.classIndex)
        XCTAssertEqual(got.map, direct.map)
        XCTAssertEqual(got.width, 8)
        XCTAssertTrue(got.map.contains { $0 != 0 }, "a real map, not zeros")
    }

    func testNewRequestCancelsObsoleteJobAndReportsProgress() throws {
        let model = try tinyModel()
        let good = try writeTestPNG()
        var s = state(for: model, paths: [good])
        let r = JobRunner(model: model)
        r.start()
        defer { r.stop() }
        r.request(try XCTUnwrap(s.work))
        for e in collect(r, until: { if case .imageLoaded = $0 { return true } else { return false } }) { s = reduce(s, e).0 }
        // A long Integrated Grad-CAM, then (as soon as it reports progress) a flood of other requests.
        s.steps = ViewerState.maxSteps
        let long = try XCTUnwrap(s.currentKey)
        r.request(try XCTUnwrap(s.work))
        let ev = collect(r) { if case .progress(let k, _) = $0 { return k == long } else { return false } }
        guard case .progress(_, let partial)? = ev.last else { return XCTFail("no progress from a long job") }
        XCTAssertFalse(partial.isFinal)
        XCTAssertLessThan(partial.done, partial.total)
        XCTAssertEqual(partial.map.count, 64)
        let before = r.started
        var t = s
        for k in ["m", "m", "m", "M", "M"] { t = reduce(t, .char(Character(k))).0; r.request(try XCTUnwrap(t.work)) }
        XCTAssertEqual(t.method, .gradCAM)
        let want = try XCTUnwrap(t.currentKey)
        let ev2 = collect(r) { if case .finished(let k, _) = $0 { return k == want } else { return false } }
        XCTAssertFalse(ev2.contains { if case .finished(let k, _) = $0 { return k == long } else { return false } },
                       "the obsolete long job was cancelled")
        XCTAssertEqual(r.started - before, 1, "only the latest request ran")
    }
}
