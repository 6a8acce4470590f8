import IGExplain
import IGImaging
import IGViewer
import XCTest

final class ReduceTests: XCTestCase {
    func testClassSelectionMovesWithinTopKAndClamps() throws {
        let s = try loadedState()
        XCTAssertEqual(s.classIndex, 3)
        XCTAssertEqual(press(s, [.down]).0.classIndex, 0)
        XCTAssertEqual(press(s, chars("jj")).0.classIndex, 4)
        XCTAssertEqual(press(s, chars("jjjj")).0.classIndex, 4, "stops at the last of the top-k")
        XCTAssertEqual(press(s, [.down, .up, .char("k")]).0.classIndex, 3)
    }

    func testJobKeysChangeRequestAndDisplayKeysDoNot() throws {
        let s = try loadedState()
        for k in ["m", "M", "]", "[", "+", "-", "b", "r", "j", "n", "p"] {
            let (n, e) = reduce(s, .char(Character(k)))
            XCTAssertTrue(e.contains { if case .request = $0 { return true } else { return false } }, "key \(k) must start work")
            XCTAssertNotEqual(n.work, s.work, "key \(k)")
        }
        for k in ["o", "c", "?"] {
            let (n, e) = reduce(s, .char(Character(k)))
            XCTAssertEqual(e, [], "display key \(k) must not start work")
            XCTAssertEqual(n.work, s.work)
        }
        // overlay -> heatmap -> image: same work; -> grid: every method.
        let (v1, e1) = reduce(s, .char("v")); XCTAssertEqual(e1, []); XCTAssertEqual(v1.view, .heatmap)
        let (v2, e2) = reduce(v1, .char("v")); XCTAssertEqual(e2, []); XCTAssertEqual(v2.view, .image)
        let (v3, e3) = reduce(v2, .char("v")); XCTAssertEqual(v3.view, .grid)
        guard case .request(let w)? = e3.first else { return XCTFail("grid view needs every method") }
        XCTAssertEqual(Set(w.keys.map(\.method)), Set(Method.allCases))
        XCTAssertEqual(w.keys.first?.method, s.method, "the selected method first")
    }

    func testMethodLayerStepsBaselineCycle() throws {
        let s = try loadedState()
        XCTAssertEqual(press(s, chars("m")).0.method, .gradCAM)
        XCTAssertEqual(press(s, chars("M")).0.method, .ablationCAM)
        XCTAssertEqual(press(s, chars(String(repeating: "m", count: Method.allCases.count))).0.method, s.method)
        XCTAssertEqual(s.layer?.name, "c2")
        XCTAssertEqual(press(s, chars("]")).0.layer?.name, "c1", "wraps to the first layer")
        XCTAssertEqual(press(s, chars("[")).0.layer?.name, "c1")
        XCTAssertEqual(press(s, chars("++")).0.steps, 200)
        XCTAssertEqual(press(s, chars("-")).0.steps, 25)
        XCTAssertEqual(press(s, chars(String(repeating: "-", count: 10))).0.steps, 1)
        XCTAssertEqual(press(s, chars("b")).0.baseline, .mean)
        XCTAssertEqual(press(s, chars("bbbb")).0.baseline, .black)
        XCTAssertEqual(press(s, chars("o")).0.opacity, 0.7)
        XCTAssertEqual(press(s, chars("c")).0.colorMap, .turbo)
    }

    func testExactStepsPrompt() throws {
        let s = try loadedState()
        let (ok, e) = press(s, [.char("=")] + chars("12x3") + [.backspace, .enter])
        XCTAssertEqual(ok.steps, 12, "digits only; backspace deletes")
        XCTAssertEqual(ok.input, .normal)
        XCTAssertTrue(e.contains { if case .request = $0 { return true } else { return false } })
        let (bad, _) = press(s, [.char("=")] + chars("0") + [.enter])
        XCTAssertEqual(bad.steps, 50)
        XCTAssertTrue(bad.status.contains("1 to"), bad.status)
        let (esc, _) = press(s, [.char("=")] + chars("7") + [.escape])
        XCTAssertEqual(esc.steps, 50)
    }

    func testSearchByNameAndIndex() throws {
        let s = try loadedState()
        XCTAssertEqual(press(s, [.char("/")] + chars("mug") + [.enter]).0.classIndex, 4)
        XCTAssertEqual(press(s, [.char("/")] + chars("7") + [.enter]).0.classIndex, 7)
        let (tiger, _) = press(s, [.char("/")] + chars("tiger") + [.enter])
        XCTAssertEqual(tiger.classIndex, 11, "an exact label wins over 'tiger cat'")
        // Three labels contain "cat": ambiguous (the one rule of lookUpClass), the class stays, the
        // status names the candidates with their indices.
        let (cat, _) = press(s, [.char("/")] + chars("cat") + [.enter])
        XCTAssertEqual(cat.classIndex, 3)
        XCTAssertTrue(cat.status.contains("ambiguous") && cat.status.contains("0 (tabby cat)") && cat.status.contains("2 (Persian cat)"), cat.status)
        XCTAssertEqual(press(s, [.char("/")] + chars("persian") + [.enter]).0.classIndex, 2, "a unique part of a label")
        let (none, _) = press(s, [.char("/")] + chars("zebra") + [.enter])
        XCTAssertEqual(none.classIndex, 3)
        XCTAssertTrue(none.status.contains("zebra"))
        let (out, _) = press(s, [.char("/")] + chars("999") + [.enter])
        XCTAssertEqual(out.classIndex, 3)
        // Keys typed into the prompt are not commands.
        let (typing, e) = press(s, [.char("/")] + chars("mq"))
        XCTAssertEqual(typing.input, .search("mq"))
        XCTAssertFalse(typing.quit)
        XCTAssertEqual(e, [])
    }

    func testImagesCycleAndResetClass() throws {
        let s = try loadedState()
        let (n, e) = press(s, chars("n"))
        XCTAssertEqual(n.imageIndex, 1)
        XCTAssertNil(n.image)
        XCTAssertNil(n.classIndex)
        XCTAssertEqual(e, [.request(WorkRequest(image: "/tmp/b.png", keys: []))])
        XCTAssertEqual(press(s, chars("p")).0.imageIndex, 1, "wraps backwards")
        XCTAssertEqual(press(s, chars("nn")).0.imageIndex, 0)
    }

    func testQuitSaveHelp() throws {
        let s = try loadedState()
        XCTAssertEqual(reduce(s, .char("q")).1, [.quit])
        XCTAssertEqual(reduce(s, .interrupt).1, [.quit])
        XCTAssertEqual(reduce(s, .char("s")).1, [.save])
        let (h, _) = reduce(s, .char("?"))
        XCTAssertEqual(h.input, .help)
        let (back, e) = reduce(h, .char("q"))
        XCTAssertEqual(back.input, .normal, "any key closes help")
        XCTAssertFalse(back.quit)
        XCTAssertEqual(e, [])
    }

    func testEventsLoadImageAndSkipUnreadable() throws {
        var s = try loadedState()
        s.image = nil; s.top = []; s.classIndex = nil
        let top = s.top
        _ = top
        // An unreadable first image is skipped with a message; work moves on.
        let (skipped, e) = reduce(s, .imageFailed(path: "/tmp/a.png", message: "not a PNG"))
        XCTAssertEqual(skipped.paths, ["/tmp/b.png"])
        XCTAssertTrue(skipped.status.contains("skipped a.png"), skipped.status)
        XCTAssertEqual(e, [.request(WorkRequest(image: "/tmp/b.png", keys: []))])
        // Loading the current image picks the top class and asks for its map.
        let ref = try loadedState()
        let (loaded, e2) = reduce(skipped, .imageLoaded(path: "/tmp/b.png", image: testImage(), top: ref.top))
        XCTAssertEqual(loaded.classIndex, 3)
        guard case .request(let w)? = e2.first else { return XCTFail("no request after load") }
        // The map at m = 50 first, then the convergence ladder m = 1, 2, 4, ..., 32.
        XCTAssertEqual(w.keys.map(\.method), [Method](repeating: .integratedGradCAM, count: 7))
        XCTAssertEqual(w.keys.map(\.steps), [50, 1, 2, 4, 8, 16, 32])
        XCTAssertEqual(w.keys.first?.classIndex, 3)
        // A stale load (another image) changes nothing.
        let (stale, e3) = reduce(skipped, .imageLoaded(path: "/tmp/a.png", image: testImage(), top: ref.top))
        XCTAssertNil(stale.image)
        XCTAssertEqual(e3, [])
    }

    func testPartialMapNeverReplacesFinal() throws {
        let s = try loadedState()
        let k = try XCTUnwrap(s.currentKey)
        let final = MapResult(map: [1, 2, 3, 4], width: 2, height: 2, done: 1, total: 1, seconds: 0.5)
        let partial = MapResult(map: [4, 3, 2, 1], width: 2, height: 2, done: 3, total: 10, seconds: nil)
        let (a, _) = reduce(s, .progress(k, partial))
        XCTAssertEqual(a.results[k], partial)
        let (b, _) = reduce(a, .finished(k, final))
        let (c, _) = reduce(b, .progress(k, partial))
        XCTAssertEqual(c.results[k], final)
    }

    func testOneShotMethodsShareKeysAcrossSteps() throws {
        var s = try loadedState()
        s.method = .gradCAM
        let k1 = s.currentKey
        let (t, e) = press(s, chars("+b"))
        XCTAssertEqual(t.currentKey, k1, "m and baseline do not change a Grad-CAM key")
        XCTAssertEqual(e, [], "so they start no work")
    }

    func testColorModeChoice() throws {
        XCTAssertEqual(try chooseColorMode("auto", environment: ["TERM": "xterm-256color", "COLORTERM": "truecolor"]).mode, .truecolor)
        XCTAssertEqual(try chooseColorMode("auto", environment: ["TERM": "xterm-direct"]).mode, .truecolor)
        XCTAssertEqual(try chooseColorMode("auto", environment: ["TERM": "tmux-256color"]).mode, .c256)
        XCTAssertEqual(try chooseColorMode("auto", environment: ["TERM": "xterm", "COLORTERM": "24bit"]).mode, .truecolor)
        XCTAssertEqual(try chooseColorMode("16", environment: ["TERM": "xterm-direct"]).mode, .c16)
        XCTAssertTrue(try chooseColorMode("truecolor", environment: [:]).forced)
        XCTAssertThrowsError(try chooseColorMode("lots", environment: [:]))
    }

    func testKeyDecoding() {
        XCTAssertEqual(Key.decode(0o403, isFunctionKey: true, resizeCode: 0o632), .up)
        XCTAssertEqual(Key.decode(0o632, isFunctionKey: true, resizeCode: 0o632), .resize)
        XCTAssertEqual(Key.decode(27, isFunctionKey: false, resizeCode: 0o632), .escape)
        XCTAssertEqual(Key.decode(3, isFunctionKey: false, resizeCode: 0o632), .interrupt)
        XCTAssertEqual(Key.decode(0x71, isFunctionKey: false, resizeCode: 0o632), .char("q"))
        XCTAssertEqual(Key.decode(127, isFunctionKey: false, resizeCode: 0o632), .backspace)
    }
}
