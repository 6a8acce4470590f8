import XCTest
import IGONNX
import IGEngine

final class LayerNameTests: XCTestCase {
    func testAliasesDynamoFalse() throws {
        let g = try ONNXImporter.load(path: Fixtures.path("tiny_resnet_op13"))
        XCTAssertEqual(g.aliases["/layer1/layer1.0/relu_1/Relu_output_0"], "layer1.0")
        XCTAssertEqual(g.aliases["/layer2/layer2.1/relu_1/Relu_output_0"], "layer2.1")
        XCTAssertEqual(g.aliases["/maxpool/MaxPool_output_0"], "maxpool")
        XCTAssertEqual(try g.resolveLayer("layer1.1"), "/layer1/layer1.1/relu_1/Relu_output_0")
        XCTAssertEqual(try g.resolveLayer("layer2"), "/layer2/layer2.1/relu_1/Relu_output_0")
        XCTAssertEqual(try g.resolveLayer("/layer2/layer2.0"), "/layer2/layer2.0/relu_1/Relu_output_0")
        XCTAssertEqual(try g.resolveLayer("layer1.0.conv2"), "/layer1/layer1.0/conv2/Conv_output_0")
        XCTAssertEqual(try g.resolveLayer("/relu/Relu_output_0"), "/relu/Relu_output_0")
    }

    func testAliasesDynamoTrue() throws {
        let g = try ONNXImporter.load(path: Fixtures.path("tiny_resnet_dyn"))
        // relu_4 is the last node of layer1.1 (the block's output).
        XCTAssertEqual(g.aliases["relu_4"], "layer1.1")
        XCTAssertEqual(try g.resolveLayer("layer1.1"), "relu_4")
        XCTAssertEqual(try g.resolveLayer("layer1"), "relu_4")
        XCTAssertEqual(try g.resolveLayer("layer2"), "relu_8")
        XCTAssertEqual(try g.resolveLayer("relu_6"), "relu_6")
    }

    func testSameLayerInBothExports() throws {
        let a = try ONNXImporter.load(path: Fixtures.path("tiny_resnet_op17"))
        let b = try ONNXImporter.load(path: Fixtures.path("tiny_resnet_dyn"))
        for name in ["layer1.0", "layer1.1", "layer2.0", "layer2.1", "maxpool", "conv1", "layer1.0.conv2", "layer2", "fc"] {
            let ia = try XCTUnwrap(a.nodes.firstIndex { $0.output == (try? a.resolveLayer(name)) }, name)
            let ib = try XCTUnwrap(b.nodes.firstIndex { $0.output == (try? b.resolveLayer(name)) }, name)
            XCTAssertEqual(ia, ib, name)
        }
    }

    func testAmbiguousAndUnknown() throws {
        let g = try ONNXImporter.load(path: Fixtures.path("tiny_resnet_op13"))
        XCTAssertEqual(try g.resolveLayer("conv1"), "/conv1/Conv_output_0")  // exact alias wins
        XCTAssertThrowsError(try g.resolveLayer("conv2")) { e in
            let d = "\(e)"
            XCTAssertTrue(d.contains("ambiguous"), d)
            XCTAssertTrue(d.contains("layer1.0.conv2"), d)
        }
        XCTAssertThrowsError(try g.resolveLayer("layer9")) { e in
            let d = "\(e)"
            XCTAssertTrue(d.contains("no layer named 'layer9'"), d)
            XCTAssertTrue(d.contains("layer"), d)
        }
        XCTAssertThrowsError(try g.resolveLayer(""))
    }

    func testCandidateLayers() throws {
        let g = try ONNXImporter.load(path: Fixtures.path("tiny_resnet_op13"))
        let c = g.candidateLayers
        // 9 convs + 9 relus + maxpool + 4 adds + global pool are 3-D per item; flatten and gemm are not.
        XCTAssertEqual(c.count, 24)
        XCTAssertTrue(c.allSatisfy { $0.shape.count == 3 })
        XCTAssertEqual(c.first?.shape, [4, 8, 8])
        XCTAssertEqual(c.last?.name, "/avgpool/GlobalAveragePool_output_0")
        let order = c.compactMap { cand in g.nodes.firstIndex { $0.output == cand.name } }
        XCTAssertEqual(order, order.sorted())
        XCTAssertEqual(c.first { $0.name == "/layer1/layer1.1/relu_1/Relu_output_0" }?.alias, "layer1.1")
    }
}
