/// Reference Gemm and MatMul as plain triple loops.
enum RefLinear {
    /// C[M,N] = A[M,K] * B[K,N] with optional transposes of the stored matrices.
    static func matmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, transA: Bool, transB: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                let av = transA ? a[p * m + i] : a[i * k + p]
                if av == 0 { continue }
                for j in 0..<n {
                    c[i * n + j] += av * (transB ? b[j * k + p] : b[p * n + j])
                }
            }
        }
        return c
    }

    static func gemmForward(_ a: Tensor, _ b: Tensor, _ c: Tensor?, _ attr: GemmAttributes) throws -> Tensor {
        guard a.rank == 2, b.rank == 2 else { throw EngineError("Gemm: expected 2-D inputs, got \(a.shape) and \(b.shape)") }
        let m = attr.transA ? a.shape[1] : a.shape[0]
        let k = attr.transA ? a.shape[0] : a.shape[1]
        let kb = attr.transB ? b.shape[1] : b.shape[0]
        let n = attr.transB ? b.shape[0] : b.shape[1]
        guard k == kb else { throw EngineError("Gemm: inner sizes differ (\(a.shape) x \(b.shape))") }
        var y = matmul(a.data, b.data, m: m, k: k, n: n, transA: attr.transA, transB: attr.transB)
        for i in 0..<y.count { y[i] *= attr.alpha }
        var out = Tensor(shape: [m, n], data: y)
        if let c, attr.beta != 0 {
            var cs = c
            if attr.beta != 1 { for i in 0..<cs.count { cs.data[i] *= attr.beta } }
            out = try RefElementwise.binaryForward(.add, out, cs)
        }
        RefElementwise.applyActivation(attr.activation, to: &out)
        return out
    }

    /// d/dA of alpha * op(A) op(B): dA = alpha * dY op(B)^T (transposed back if transA).
    static func gemmBackwardA(_ a: Tensor, _ b: Tensor, _ attr: GemmAttributes, dy: Tensor) -> Tensor {
        let m = dy.shape[0], n = dy.shape[1]
        let k = attr.transB ? b.shape[1] : b.shape[0]
        // dOpA[M,K] = dY[M,N] * op(B)^T[N,K]; op(B)^T is B stored when transB, else B^T.
        var dOpA = matmul(dy.data, b.data, m: m, k: n, n: k, transA: false, transB: !attr.transB)
        for i in 0..<dOpA.count { dOpA[i] *= attr.alpha }
        if !attr.transA { return Tensor(shape: a.shape, data: dOpA) }
        var t = [Float](repeating: 0, count: dOpA.count)
        for i in 0..<m { for p in 0..<k { t[p * m + i] = dOpA[i * k + p] } }
        return Tensor(shape: a.shape, data: t)
    }

    /// MatMul of [..., M, K] by [K, N] (or same-rank batched) as numpy does.
    static func matMulForward(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        guard a.rank >= 2, b.rank >= 2, a.shape[a.rank - 1] == b.shape[b.rank - 2] else {
            throw EngineError("MatMul: shapes \(a.shape) and \(b.shape) do not match")
        }
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batchA = a.count / (m * k), batchB = b.count / (k * n)
        guard batchB == 1 || batchB == batchA else { throw EngineError("MatMul: batch shapes \(a.shape) and \(b.shape) are not supported") }
        var y = [Float]()
        y.reserveCapacity(batchA * m * n)
        for i in 0..<batchA {
            let aS = Array(a.data[i * m * k ..< (i + 1) * m * k])
            let bi = batchB == 1 ? 0 : i
            let bS = Array(b.data[bi * k * n ..< (bi + 1) * k * n])
            y += matmul(aS, bS, m: m, k: k, n: n, transA: false, transB: false)
        }
        return Tensor(shape: Array(a.shape.dropLast()) + [n], data: y)
    }

    static func matMulBackward(_ a: Tensor, _ b: Tensor, dy: Tensor, wrt: Int) throws -> Tensor {
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
        let batchA = a.count / (m * k), batchB = b.count / (k * n)
        var g = [Float](repeating: 0, count: wrt == 0 ? a.count : b.count)
        for i in 0..<batchA {
            let bi = batchB == 1 ? 0 : i
            let dyS = Array(dy.data[i * m * n ..< (i + 1) * m * n])
            if wrt == 0 {
                let bS = Array(b.data[bi * k * n ..< (bi + 1) * k * n])
                let d = matmul(dyS, bS, m: m, k: n, n: k, transA: false, transB: true)
                for j in 0..<d.count { g[i * m * k + j] += d[j] }
            } else {
                let aS = Array(a.data[i * m * k ..< (i + 1) * m * k])
                let d = matmul(aS, dyS, m: k, k: m, n: n, transA: true, transB: false)
                for j in 0..<d.count { g[bi * k * n + j] += d[j] }
            }
        }
        return Tensor(shape: wrt == 0 ? a.shape : b.shape, data: g)
    }
}
