using MyTorch.Data;
using MyTorch.NN;
using MyTorch.Onnx;

namespace MyTorch.Cli.Training;

/// <summary>
/// Applies a regression output constraint (seed 001, question 5) in the targets' original units while the
/// network works in scaled units: a constraint such as y >= 0 must hold for the price a user sees, not for
/// the standardized value the loss compares, which is negative for every below-average price.
/// </summary>
/// <remarks>
/// For relu, softplus and negative the network's output z is mapped back to original units, constrained and
/// scaled again: y_s = T(f(T⁻¹(z))), which is the identity away from the bound. For range:A,B the sigmoid
/// acts on z directly, y_s = T(A + (B - A) sigmoid(z)), so its slope does not depend on the target's scale.
/// </remarks>
public sealed class ConstrainedOutput : Module, IOnnxExportable
{
    private readonly Module constraint;
    private readonly TargetScaler scaler;

    /// <summary>Wraps <paramref name="constraint"/> (from <see cref="OutputActivations.Parse"/>) around <paramref name="scaler"/>.</summary>
    public ConstrainedOutput(Module constraint, TargetScaler scaler)
    {
        this.constraint = RegisterModule("constraint", constraint);
        this.scaler = scaler;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var original = constraint is Bounded ? constraint.Forward(input) : constraint.Forward(scaler.InverseTransform(input));
        return scaler.Transform(original);
    }

    /// <inheritdoc/>
    public string ExportOnnx(OnnxGraphBuilder graph, string input, string path)
    {
        ArgumentNullException.ThrowIfNull(graph);
        string inner = path + ".constraint";
        var original = constraint is Bounded
            ? graph.Module(constraint, input, inner)
            : graph.Module(constraint, Commands.OnnxScaling.Inverse(graph, scaler, input, path + ".scaler_inverse"), inner);
        return Commands.OnnxScaling.Transform(graph, scaler, original, path + ".scaler");
    }
}
