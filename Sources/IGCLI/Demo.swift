import ArgumentParser
import Foundation
import IGExplain

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Teaching demos.", subcommands: [Sensitivity.self])

    struct Sensitivity: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Why integrate? The paper's f(x) = 1 - ReLU(1 - x), and a saturated channel in a small conv net.")

        @Option(name: .long, help: "Integration steps m.")
        var steps: Int = 50

        func validate() throws {
            guard (1...ExplainSelection.maxSteps).contains(steps) else {
                throw ValidationError("--steps must be from 1 to \(ExplainSelection.maxSteps) (got \(steps))")
            }
        }

        func run() throws {
            print("""
                1. The sensitivity axiom on f(x) = 1 - ReLU(1 - x)  (the paper's example)

                For x > 1 the function is flat, so its gradient is 0: a gradient-based attribution (x * f'(x))
                gives the input no credit although f(x) - f(0) = 1. Integrating the gradient along the path
                from 0 to x (Integrated Gradients, a Riemann sum of m = \(steps) steps) recovers the whole difference,
                up to the step size.

                """)
            print("      x     f(x)   f'(x)   x*f'(x)   integrated   f(x)-f(0)")
            for r in try SensitivityDemo.scalarRows(steps: steps) {
                print(String(format: "  %5.2f   %6.3f  %6.3f   %7.3f   %10.3f   %9.3f", Double(r.x), Double(r.f), Double(r.gradient),
                             Double(r.gradientTimesInput), Double(r.integrated), Double(r.difference)))
            }
            let c = try SensitivityDemo.convResult(steps: steps)
            print("""

                2. The same effect in a conv net (Grad-CAM vs Integrated Grad-CAM)

                A 4x4 image: red in the left three columns, green in the right one. Channel 0 of the target layer
                is 2 x red, channel 1 is 0.5 x green; the score adds 1 - ReLU(1 - mean(A_k)) over both channels.
                Channel 0's mean is 1.5, past the saturation point, so its gradient is 0: Grad-CAM gives it no
                weight, although it contributes 1.0 of the score against 0.125 from green. Integrated Grad-CAM
                walks from a black image, through the region where channel 0 is not yet saturated, and credits it.

                """)
            print("  channel          Grad-CAM weight   integrated contribution to the score (adds up to y(x) - y(black) = 1.125)")
            for k in 0..<2 {
                print(String(format: "  %d (%@)   %15.4f   %20.4f", k, k == 0 ? "red  " : "green",
                             Double(c.gradWeights[k]), Double(c.integratedContribution[k])))
            }
            print("\n  maps (rows of the 4x4 map, normalised to the maximum):")
            for (name, e) in [("Grad-CAM", c.gradCAM), ("Integrated Grad-CAM", c.integrated)] {
                let mx = max(e.map.max() ?? 0, 1e-12)
                print("  \(name):")
                for y in 0..<4 {
                    print("    " + (0..<4).map { String(format: "%5.2f", Double(e.map[y * 4 + $0] / mx)) }.joined(separator: " "))
                }
            }
            print("\n  Grad-CAM lights up only the green column; Integrated Grad-CAM the red region that drives the score.")
        }
    }
}
