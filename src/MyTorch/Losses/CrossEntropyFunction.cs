using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Losses;

/// <summary>The fused softmax cross-entropy op's description; its kernels are <see cref="CrossEntropyFunction"/>.</summary>
internal sealed class CrossEntropyOp : Ops.OpDefinition
{
    public override string Name => "cross_entropy";

    public override OpNotation Notation { get; } =
        new("logsumexp({0}) - {0}[c]", ["softmax({0}) - onehot(c)"], ["{g} * (softmax({0}) - onehot(c))"], false);

    public override IEnumerable<GradCheckCase> GradCheckCases =>
    [
        new("op", Name, "(4, 5) logits, class indices", () => [Tensor.Uniform([4, 5], -3, 3, new Generator(95), DType.Float64, requiresGrad: true)],
            x => new CrossEntropyFunction(Tensor.FromArray(new long[] { 3, 0, 4, 1 })).Apply(x[0])),
    ];
}

/// <summary>
/// Softmax cross-entropy against class indices as one op: per row, loss_i = logsumexp(x_i) - x_i[c_i] with the
/// maximum subtracted first (the LogSumExp trick), and the backward pass dL/dx_i = g_i (softmax(x_i) - onehot(c_i)),
/// the seed's softmax(x) - y. One pass over the logits each way instead of the half-dozen ops of the composed form.
/// </summary>
internal sealed class CrossEntropyFunction(Tensor classIndices) : AutogradFunction
{
    private Tensor softmax = null!;

    public override string Name => "cross_entropy";

    protected override Tensor Forward(Tensor[] inputs)
    {
        var logits = inputs[0];
        int rows = logits.Shape[0], classes = logits.Shape[1];
        var losses = Tensor.Empty([rows], logits.DType);
        softmax = Tensor.Empty([rows, classes], logits.DType);
        Compiled.Recording.Launch((logits, classIndices, softmax, losses), static s =>
        {
            var (logits, targets, softmax, losses) = s;
            int classes = logits.Shape[1];
            if (logits.DType == DType.Float32) Rows<float>(logits.F32, targets.I64, softmax.F32, losses.F32, classes);
            else Rows<double>(logits.F64, targets.I64, softmax.F64, losses.F64, classes);
        });
        return losses;
    }

    /// <summary>
    /// Per row: the softmax into <paramref name="probabilities"/> and logsumexp - logit of the row's class into
    /// <paramref name="losses"/> (one per row). 
    /// </summary>
    /// <remarks>
    /// The exponentials are one TensorPrimitives.Exp call over all rows, as Tensor.Exp makes one over a whole tensor
    /// (so this equals LogSoftmax followed by NLLLoss bit for bit), not one call per row. An evaluation runs this once
    /// per epoch over thousands of rows, before the runtime has optimized TensorPrimitives' generic methods: their
    /// unoptimized (tier-0) code pays a call per element and polynomial coefficient, and for rows a few classes wide
    /// a call per row added its set-up to every row. Each element gets the same operations either way.
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void Rows<T>(ReadOnlySpan<T> logits, ReadOnlySpan<long> classIndices, Span<T> probabilities, Span<T> losses, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = losses.Length;
        for (int i = 0; i < rows; i++)
        {
            var row = logits.Slice(i * classes, classes);
            T max = TensorPrimitives.Max(row);
            if (!T.IsFinite(max)) max = T.Zero; // an all -inf (or +inf) row: no shift, as LogSoftmax does
            TensorPrimitives.Subtract(row, max, probabilities.Slice(i * classes, classes));
            losses[i] = row[(int)classIndices[i]] - max; // the class's shifted logit, until the row's sum is known
        }
        var shifted = probabilities[..(rows * classes)];
        TensorPrimitives.Exp(shifted, shifted);
        for (int i = 0; i < rows; i++)
        {
            var p = probabilities.Slice(i * classes, classes);
            T sum = TensorPrimitives.Sum<T>(p);
            losses[i] = T.Log(sum) - losses[i];
            TensorPrimitives.Divide(p, sum, p);
        }
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        if (!NeedsInputGrad(0)) return [null];
        int rows = softmax.Shape[0], classes = softmax.Shape[1];
        if (Autograd.IsGradEnabled)
        {
            // Building a graph of the backward pass (createGraph): differentiable ops of the logits, so it differentiates again.
            return [(Inputs[0].Softmax(1) - ClassTargets.OneHot(classIndices, classes, softmax.DType)) * gradOutput.Unsqueeze(1)];
        }
        var grad = Tensor.Empty([rows, classes], softmax.DType);
        Compiled.Recording.Launch((softmax, gradOutput, grad, classIndices), static s =>
        {
            var (softmax, upstream, grad, targets) = s;
            int classes = softmax.Shape[1];
            if (grad.DType == DType.Float32) Gradient<float>(softmax.F32, upstream.F32, grad.F32, targets.I64, classes);
            else Gradient<double>(softmax.F64, upstream.F64, grad.F64, targets.I64, classes);
        });
        return [grad];
    }

    /// <summary>dL/dlogits = upstream_i (softmax_i - onehot(c_i)) per row. </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void Gradient<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> upstream, Span<T> grad, ReadOnlySpan<long> classIndices,
        int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < upstream.Length; i++)
        {
            var g = grad.Slice(i * classes, classes);
            TensorPrimitives.Multiply(probabilities.Slice(i * classes, classes), upstream[i], g);
            g[(int)classIndices[i]] -= upstream[i];
        }
    }
}
