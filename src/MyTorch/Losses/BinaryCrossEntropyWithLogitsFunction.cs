using MyTorch.Diagnostics;
using MyTorch.Visualization;
namespace MyTorch.Losses;

/// <summary>The binary cross-entropy-with-logits op's description; its kernels are <see cref="BinaryCrossEntropyWithLogitsFunction"/>.</summary>
internal sealed class BinaryCrossEntropyWithLogitsOp : Ops.OpDefinition
{
    public override string Name => "binary_cross_entropy_with_logits";

    public override OpNotation Notation { get; } = new("max({0}, 0) - {0} {1} + log(1 + e^-|{0}|)",
        ["sigmoid({0}) - {1}", "-{0}"], ["{g} * (sigmoid({0}) - {1})", "{g} * -{0}"], true);

    public override IEnumerable<GradCheckCase> GradCheckCases =>
    [
        new("op", Name, "(3, 4) logits in [-4, 4], soft targets",
            () => [Tensor.Uniform([3, 4], -4, 4, new Generator(98), DType.Float64, requiresGrad: true),
                Tensor.Uniform([3, 4], 0, 1, new Generator(99), DType.Float64, requiresGrad: true)],
            x => new BinaryCrossEntropyWithLogitsFunction().Apply(x[0], x[1])),
    ];
}

/// <summary>
/// Element-wise binary cross-entropy on logits, max(x, 0) - x y + log(1 + exp(-|x|)), with the backward
/// (sigmoid(x) - y) for x and -x for y.
/// </summary>
/// <remarks>
/// The forward never exponentiates a positive number, so any logit is safe. It is one op with a hand-written
/// backward because the stable form's pieces (max and |x|) have kinks at x = 0 whose one-sided derivatives
/// only cancel mathematically: composed, autograd would give -y at x = 0 instead of 1/2 - y, and x = 0 is
/// exactly where a zero-initialized output layer starts.
/// </remarks>
internal sealed class BinaryCrossEntropyWithLogitsFunction : AutogradFunction
{
    private Tensor? logits;
    private Tensor? target;

    /// <inheritdoc/>
    public override string Name => "binary_cross_entropy_with_logits";

    /// <inheritdoc/>
    protected override Tensor Forward(Tensor[] inputs)
    {
        logits = inputs[0];
        target = inputs[1];
        // log(1 + exp(-|x|)) is softplus(-|x|), which the softplus kernel computes as log1p(exp(.)): accurate for tiny terms.
        return logits.Relu() - logits * target + (-logits.Abs()).Softplus();
    }

    /// <inheritdoc/>
    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        var x = logits!;
        var y = target!;
        return [
            NeedsInputGrad(0) ? gradOutput * (x.Sigmoid() - y) : null,
            NeedsInputGrad(1) ? gradOutput * -x : null];
    }
}
