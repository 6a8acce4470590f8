import IGModel

extension Explainer {
    /// The class score (logit) on the image, y(x), and on the baseline image,
    /// y(x'): the two ends of Integrated Grad-CAM's path, for comparing a map's
    /// sum with the score difference y(x) - y(x') (completeness). One forward
    /// of the baseline image (the image's logits are cached).
    public func pathScores(classIndex: Int, baseline: Baseline) throws -> (image: Float, baseline: Float) {
        guard classIndex >= 0, classIndex < model.classCount else {
            throw ModelError("class \(classIndex) is out of range 0..<\(model.classCount)")
        }
        let p = model.preprocessing
        let x0 = model.normalize(Baselines.pixels(baseline, image: pixels, height: p.height, width: p.width, mean: p.mean))
        let y0 = try model.engine.forward(x0)
        return (try logits().data[classIndex], y0.data[classIndex])
    }
}
