using MyTorch.Diagnostics;
using MyTorch.Visualization;
namespace MyTorch.Losses;

/// <summary>The binary cross-entropy op's description; its kernels are <see cref="BinaryCrossEntropyFunction"/>.</summary>
internal sealed class BinaryCrossEntropyOp : Ops.OpDefinition
{
    public override string Name => "binary_cross_entropy";

    public override OpNotation Notation { get; } = new("-({1} log {0} + (1 - {1}) log(1 - {0}))",
        ["({0} - {1}) / ({0}(1 - {0}))", "-logit({0})"], ["{g} * ({0} - {1}) / ({0}(1 - {0}))", "{g} * -logit({0})"], true);

    public override IEnumerable<GradCheckCase> GradCheckCases =>
    [
        new("op", Name, "(3, 4) probabilities in [0.05, 0.95], soft targets",
            () => [Tensor.Uniform([3, 4], 0.05, 0.95, new Generator(96), DType.Float64, requiresGrad: true),
                Tensor.Uniform([3, 4], 0, 1, new Generator(97), DType.Float64, requiresGrad: true)],
            x => new BinaryCrossEntropyFunction().Apply(x[0], x[1])),
    ];
}

/// <summary>
/// Element-wise binary cross-entropy on probabilities with PyTorch's forward and backward formulas:
/// loss = (y - 1) max(log(1 - p), -100) - y max(log p, -100), and dloss/dp = (p - y) / max(p (1 - p), 1e-12).
/// </summary>
/// <remarks>
/// Written as one op with a hand-written backward because the composed ops are not usable at p = 0 or 1:
/// the clamp zeroes the gradient of log p, and log's backward then divides 0 by p = 0 (NaN), while PyTorch's
/// formula stays finite. A sigmoid that rounds to exactly 1 (float32 logits above about 17) hits this.
/// </remarks>
internal sealed class BinaryCrossEntropyFunction : AutogradFunction
{
    // PyTorch's floor on the log terms (so p = 0 or 1 gives a finite loss) and on p (1 - p) in the backward.
    // PyTorch's epsilon is the float 1e-12 (9.99999996e-13) in float64 too; using the same value keeps the
    // gradient at p = 0 or 1 equal to PyTorch's to the last digit.
    private const double LogFloor = -100;
    private const double Epsilon = 1e-12f;

    // The smallest positive float32. Probabilities are raised to it before the log: log of anything smaller is
    // below the -100 floor anyway, and this keeps log(0) = -inf out of the computation (DetectAnomaly would flag it).
    private const double SmallestProbability = 1.401298464324817E-45;

    private Tensor? probabilities;
    private Tensor? target;

    /// <inheritdoc/>
    public override string Name => "binary_cross_entropy";

    /// <inheritdoc/>
    protected override Tensor Forward(Tensor[] inputs)
    {
        probabilities = inputs[0];
        target = inputs[1];
        return (target - 1) * FlooredLog(1 - probabilities) - target * FlooredLog(probabilities);
    }

    /// <inheritdoc/>
    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        var p = probabilities!;
        var y = target!;
        return [
            NeedsInputGrad(0) ? gradOutput * (p - y) / ((1 - p) * p).Clamp(min: Epsilon) : null,
            NeedsInputGrad(1) ? gradOutput * (FlooredLog(1 - p) - FlooredLog(p)) : null];
    }

    /// <summary>max(log x, -100) for x in [0, 1].</summary>
    private static Tensor FlooredLog(Tensor x) => x.Clamp(min: SmallestProbability).Log().Clamp(min: LogFloor);
}
