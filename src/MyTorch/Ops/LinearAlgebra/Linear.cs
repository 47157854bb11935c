using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops;

/// <summary>The fused Linear op's description: x W + b, or x W without a bias; its kernels are <see cref="LinearFunction"/>.</summary>
internal sealed class LinearOp : OpDefinition
{
    private static readonly OpNotation WithoutBias =
        new("{0} @ {1}", ["(.) @ {1}^T", "{0}^T @ (.)"], ["{g} @ {1}^T", "{0}^T @ {g}"], false);

    public override string Name => "linear";

    public override OpNotation Notation { get; } = new("{0} @ {1} + {2}", ["(.) @ {1}^T", "{0}^T @ (.)", "1 for each row"],
        ["{g} @ {1}^T", "{0}^T @ {g}", "column sums of {g}"], false);

    public override OpNotation NotationFor(int inputs) => inputs == 2 ? WithoutBias : Notation;

    public override IEnumerable<GradCheckCase> GradCheckCases
    {
        get
        {
            static Tensor R(ulong seed, params int[] shape) =>
                Tensor.Uniform(shape, -1, 1, new Generator(seed), DType.Float64, requiresGrad: true);
            yield return new("op", Name, "(5, 4) @ (4, 3) + (1, 3)", () => [R(90, 5, 4), R(91, 4, 3), R(92, 1, 3)],
                x => new LinearFunction().Apply(x[0], x[1], x[2]));
            yield return new("op", Name, "(5, 4) @ (4, 3), no bias", () => [R(93, 5, 4), R(94, 4, 3)],
                x => new LinearFunction().Apply(x[0], x[1]));
        }
    }
}

/// <summary>
/// z = x W + b as one op on a 2-D batch: the bias rows are written into the output first and the GEMM
/// accumulates onto them, so no separate broadcast add runs. Backward, with g = dL/dz:
/// dx = g Wᵀ, dW = xᵀ g (both through the transposed forms of the same GEMM, never materializing a
/// transpose) and db = the column sums of g.
/// </summary>
internal sealed class LinearFunction : AutogradFunction
{
    private Tensor x = null!, weight = null!;

    public override string Name => "linear";

    protected override Tensor Forward(Tensor[] inputs)
    {
        (x, weight) = (inputs[0], inputs[1]);
        var bias = inputs.Length > 2 ? inputs[2] : null;
        int m = x.Shape[0], k = x.Shape[1], n = weight.Shape[1];
        var z = Tensor.Empty([m, n], x.DType, "linear");
        Compiled.Recording.Launch((x, weight, bias, z), static s =>
        {
            var (x, weight, bias, z) = s;
            int m = x.Shape[0], k = x.Shape[1], n = weight.Shape[1];
            if (x.DType == DType.Float32) Compute<float>(x.F32, weight, weight.F32, bias?.F32, z.F32, m, k, n);
            else Compute<double>(x.F64, weight, weight.F64, bias?.F64, z.F64, m, k, n);
        });
        return z;
    }

    private static void Compute<T>(ReadOnlySpan<T> x, Tensor weight, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> z, int m, int k, int n)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        bool hasBias = !bias.IsEmpty;
        if (hasBias)
            for (int row = 0; row < m; row++) bias.CopyTo(z.Slice(row * n, n));
        // A plan running on frozen weights multiplies from its packed copy of the weight: the same bits.
        var packed = Compiled.FrozenWeights.Current?.For(weight, w, k, n);
        Gemm.MultiplyPackedB(false, false, m, n, k, x, k, w, n, z, n, accumulate: hasBias, KernelOptions.MaxThreads, packed);
    }

    protected override Tensor?[] Backward(Tensor gradOutput)
    {
        var dx = NeedsInputGrad(0) ? Tensor.MatMulCore(gradOutput, weight, false, true) : null;
        var dw = NeedsInputGrad(1) ? Tensor.MatMulCore(x, gradOutput, true, false) : null;
        if (Inputs.Count < 3) return [dx, dw];
        var db = NeedsInputGrad(2) ? gradOutput.Sum(0, keepDim: true) : null;
        return [dx, dw, db];
    }
}
