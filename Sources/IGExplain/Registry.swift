/// Every method igcam offers, in the order the viewer cycles them, `igcam
/// evaluate` runs them by default and `--help` lists them. Adding a method
/// is one new file (a type conforming to `ExplanationMethod` and its
/// `Method` name, see docs/ARCHITECTURE.md) plus one line here.
extension Method {
    public static let allCases: [Method] = [
        .integratedGradCAM,
        .gradCAM,
        .gradCAMPlusPlus,
        .xgradCAM,
        .hiresCAM,
        .layerCAM,
        .scoreCAM,
        .ablationCAM,
    ]
}
