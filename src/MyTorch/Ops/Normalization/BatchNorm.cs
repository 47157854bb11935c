using MyTorch.Diagnostics;
using MyTorch.NN;
using MyTorch.Visualization;

namespace MyTorch.Ops;

/// <summary>
/// Seed 004's batch normalization over (batch, features), training form: the batch statistics, x̂ and y = gamma x̂ + beta in
/// one fused kernel, and the appendix's backward formulas in another; the running statistics are updated as the layer says.
/// </summary>
internal sealed class BatchNormOp : OpDefinition
{
    public override string Name => "batch_norm";

    public override OpNotation Notation { get; } = new("batch_norm({0}; {1}, {2})", ["seed 004's backward formulas", "x_hat", "1"],
        ["seed 004: dL/dx from dL/dx_hat, dL/dvar, dL/dmean", "sum of {g} * x_hat", "sum of {g}"], false);

    public override IEnumerable<GradCheckCase> GradCheckCases
    {
        get
        {
            yield return new("op", Name, "(6, 3), batch statistics", () => [Uniform(170, -2, 2, 6, 3), Uniform(171, 0.5, 1.5, 3), Uniform(172, -0.5, 0.5, 3)],
                x => new BatchNormFunction(new BatchNorm1d(3, dtype: DType.Float64), updateRunningStatistics: false).Apply(x[0], x[1], x[2]));
        }
    }

    internal static Tensor Uniform(ulong seed, double low, double high, params int[] shape) =>
        Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad: true);
}

/// <summary>Batch normalization over (N, C, H, W) per channel, training form, as PyTorch's; affine or not.</summary>
internal sealed class BatchNorm2dOp : OpDefinition
{
    private static readonly OpNotation WithoutAffine = new("batch_norm2d({0})", ["normalized per channel: (dL/dx_hat - mean(dL/dx_hat) - x_hat mean(dL/dx_hat x_hat)) / std"],
        ["{g} through the per-channel normalization"], false);

    public override string Name => "batch_norm2d";

    public override OpNotation Notation { get; } = new("batch_norm2d({0}; {1}, {2})",
        ["per channel: (dL/dx_hat - mean(dL/dx_hat) - x_hat mean(dL/dx_hat x_hat)) / std", "x_hat", "1"],
        ["{g} through the per-channel normalization", "sum of {g} * x_hat over N, H, W", "sum of {g} over N, H, W"], false);

    public override OpNotation NotationFor(int inputs) => inputs == 1 ? WithoutAffine : Notation;

    public override IEnumerable<GradCheckCase> GradCheckCases
    {
        get
        {
            yield return new("op", Name, "(2, 3, 2, 3), affine", () => [BatchNormOp.Uniform(173, -2, 2, 2, 3, 2, 3), BatchNormOp.Uniform(174, 0.5, 1.5, 3),
                BatchNormOp.Uniform(175, -0.5, 0.5, 3)],
                x => new BatchNorm2dFunction(new BatchNorm2d(3, dtype: DType.Float64), updateRunningStatistics: false).Apply(x[0], x[1], x[2]));
            yield return new("op", Name, "(3, 2, 2, 2), no affine", () => [BatchNormOp.Uniform(176, -2, 2, 3, 2, 2, 2)],
                x => new BatchNorm2dFunction(new BatchNorm2d(2, affine: false, dtype: DType.Float64), updateRunningStatistics: false).Apply(x[0]));
        }
    }
}

/// <summary>The training-mode forward and the seed's hand-derived backward, as one op with fused kernels.</summary>
internal sealed class BatchNormFunction(BatchNorm1d layer, bool updateRunningStatistics) : AutogradFunction
{
    private Tensor xHat = null!, invStd = null!, gamma = null!;

    public override string Name => "batch_norm";

    protected override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        gamma = inputs[1];
        var beta = inputs[2];
        int m = x.Shape[0], n = x.Shape[1];
        var mean = Tensor.Empty([n], x.DType, Name);
        var variance = Tensor.Empty([n], x.DType, Name);
        invStd = Tensor.Empty([n], x.DType, Name);
        xHat = Tensor.Empty([m, n], x.DType, Name);
        var y = Tensor.Empty([m, n], x.DType, Name);
        Compiled.Recording.Launch((x, gamma, beta, eps: layer.Eps, mean, variance, invStd, xHat, y), static s =>
        {
            int rows = s.x.Shape[0], features = s.x.Shape[1];
            if (s.x.DType == DType.Float32)
                Kernels.BatchNormKernels.Forward<float>(s.x.F32, rows, features, s.gamma.F32, s.beta.F32, (float)s.eps, s.mean.F32,
                    s.variance.F32, s.invStd.F32, s.xHat.F32, s.y.F32);
            else
                Kernels.BatchNormKernels.Forward<double>(s.x.F64, rows, features, s.gamma.F64, s.beta.F64, s.eps, s.mean.F64,
                    s.variance.F64, s.invStd.F64, s.xHat.F64, s.y.F64);
        });
        // Last, once nothing else can fail, so an exception leaves the running statistics as they were.
        if (updateRunningStatistics)
        {
            layer.RunningMean.MultiplyInPlace(layer.Alpha).AddInPlace(mean, 1 - layer.Alpha);
            layer.RunningVar.MultiplyInPlace(layer.Alpha).AddInPlace(variance, 1 - layer.Alpha);
        }
        return y;
    }

    protected override Tensor?[] Backward(Tensor delta)
    {
        if (Autograd.IsGradEnabled) return BatchNormComposed.Backward(Inputs, delta, [0], layer.Eps);
        int m = xHat.Shape[0], n = xHat.Shape[1];
        var dx = NeedsInputGrad(0) ? Tensor.Empty([m, n], delta.DType, Name) : null;
        var dGamma = Tensor.Empty([n], delta.DType, Name);
        var dBeta = Tensor.Empty([n], delta.DType, Name);
        var scratch = Tensor.Empty([2 * n], delta.DType, Name);
        Compiled.Recording.Launch((delta, xHat, gamma, invStd, dx, dGamma, dBeta, scratch), static s =>
        {
            int rows = s.xHat.Shape[0], features = s.xHat.Shape[1];
            if (s.delta.DType == DType.Float32)
                Kernels.BatchNormKernels.Backward<float>(s.delta.F32, s.xHat.F32, rows, features, s.gamma.F32, s.invStd.F32,
                    s.dx is null ? default : s.dx.F32, s.dGamma.F32, s.dBeta.F32, s.scratch.F32);
            else
                Kernels.BatchNormKernels.Backward<double>(s.delta.F64, s.xHat.F64, rows, features, s.gamma.F64, s.invStd.F64,
                    s.dx is null ? default : s.dx.F64, s.dGamma.F64, s.dBeta.F64, s.scratch.F64);
        });
        return [dx, NeedsInputGrad(1) ? dGamma : null, NeedsInputGrad(2) ? dBeta : null];
    }
}

/// <summary>The training-mode forward and its backward as one op with fused kernels.</summary>
internal sealed class BatchNorm2dFunction(BatchNorm2d layer, bool updateRunningStatistics) : AutogradFunction
{
    private Tensor xHat = null!, invStd = null!;
    private Tensor? gamma;

    public override string Name => "batch_norm2d";

    protected override Tensor Forward(Tensor[] inputs)
    {
        var x = inputs[0];
        gamma = inputs.Length > 1 ? inputs[1] : null;
        var beta = inputs.Length > 2 ? inputs[2] : null;
        int c = x.Shape[1];
        var mean = Tensor.Empty([c], x.DType, Name);
        var variance = Tensor.Empty([c], x.DType, Name);
        invStd = Tensor.Empty([c], x.DType, Name);
        xHat = Tensor.Empty(x.ShapeArray[..], x.DType, Name);
        var y = Tensor.Empty(x.ShapeArray[..], x.DType, Name);
        Compiled.Recording.Launch((x, gamma, beta, eps: layer.Eps, mean, variance, invStd, xHat, y), static s =>
        {
            int n = s.x.Shape[0], channels = s.x.Shape[1], plane = s.x.Shape[2] * s.x.Shape[3];
            if (s.x.DType == DType.Float32)
                Kernels.BatchNorm2dParallel<float>.Forward(s.x.F32, n, channels, plane, s.gamma is null ? default : s.gamma.F32,
                    s.beta is null ? default : s.beta.F32, (float)s.eps, s.mean.F32, s.variance.F32, s.invStd.F32, s.xHat.F32, s.y.F32);
            else
                Kernels.BatchNorm2dParallel<double>.Forward(s.x.F64, n, channels, plane, s.gamma is null ? default : s.gamma.F64,
                    s.beta is null ? default : s.beta.F64, s.eps, s.mean.F64, s.variance.F64, s.invStd.F64, s.xHat.F64, s.y.F64);
        });
        if (updateRunningStatistics)
        {
            Compiled.Recording.Launch((layer, x, mean, variance), static s =>
            {
                var layer = s.layer;
                long tracked = ++layer.NumBatchesTracked!.I64[0];
                double factor = layer.Momentum ?? 1.0 / tracked;
                long m = (long)s.x.Shape[0] * s.x.Shape[2] * s.x.Shape[3];
                if (s.x.DType == DType.Float32)
                    Kernels.BatchNorm2dKernels.UpdateRunning<float>(layer.RunningMean!.F32, layer.RunningVar!.F32, s.mean.F32, s.variance.F32, factor, m);
                else
                    Kernels.BatchNorm2dKernels.UpdateRunning<double>(layer.RunningMean!.F64, layer.RunningVar!.F64, s.mean.F64, s.variance.F64, factor, m);
            });
        }
        return y;
    }

    protected override Tensor?[] Backward(Tensor delta)
    {
        if (Autograd.IsGradEnabled) return BatchNormComposed.Backward(Inputs, delta, [0, 2, 3], layer.Eps);
        int c = xHat.Shape[1];
        bool affine = gamma is not null;
        var dx = NeedsInputGrad(0) ? Tensor.Empty(xHat.ShapeArray[..], delta.DType, Name) : null;
        var dGamma = affine && NeedsInputGrad(1) ? Tensor.Empty([c], delta.DType, Name) : null;
        var dBeta = affine && NeedsInputGrad(2) ? Tensor.Empty([c], delta.DType, Name) : null;
        Compiled.Recording.Launch((delta, xHat, gamma, invStd, dx, dGamma, dBeta), static s =>
        {
            int n = s.xHat.Shape[0], channels = s.xHat.Shape[1], plane = s.xHat.Shape[2] * s.xHat.Shape[3];
            if (s.delta.DType == DType.Float32)
                Kernels.BatchNorm2dParallel<float>.Backward(s.delta.F32, s.xHat.F32, n, channels, plane, s.gamma is null ? default : s.gamma.F32,
                    s.invStd.F32, s.dx is null ? default : s.dx.F32, s.dGamma is null ? default : s.dGamma.F32, s.dBeta is null ? default : s.dBeta.F32);
            else
                Kernels.BatchNorm2dParallel<double>.Backward(s.delta.F64, s.xHat.F64, n, channels, plane, s.gamma is null ? default : s.gamma.F64,
                    s.invStd.F64, s.dx is null ? default : s.dx.F64, s.dGamma is null ? default : s.dGamma.F64, s.dBeta is null ? default : s.dBeta.F64);
        });
        return affine ? [dx, dGamma, dBeta] : [dx];
    }
}

/// <summary>
/// The batch-statistics forward of both batch norms written as differentiable ops, for a backward that builds a graph
/// (<c>createGraph</c>): differentiating it with the graph on gives a gradient that can itself be differentiated, which the
/// fused kernels' results cannot. The fused backward stays the path of every ordinary backward pass.
/// </summary>
internal static class BatchNormComposed
{
    /// <summary>dL/d(x, gamma, beta) from <paramref name="delta"/>, as ops of the inputs, normalizing over <paramref name="dims"/>.</summary>
    public static Tensor?[] Backward(IReadOnlyList<Tensor> inputs, Tensor delta, int[] dims, double eps)
    {
        var x = inputs[0];
        var mean = x.Mean(dims, keepDim: true);
        var centered = x - mean;
        var variance = (centered * centered).Mean(dims, keepDim: true);
        var y = centered * (variance + eps).Rsqrt();
        if (inputs.Count > 1)
        {
            // gamma and beta are (features,): (1, C) for a (batch, C) input, (C, 1, 1) for (N, C, H, W).
            int[] shape = x.Rank == 2 ? [1, x.Shape[1]] : [x.Shape[1], 1, 1];
            y = y * inputs[1].Reshape(shape) + inputs[2].Reshape(shape);
        }
        var wanted = inputs.Where(t => t.RequiresGrad).ToArray();
        var grads = Autograd.Grad([y], wanted, [delta], createGraph: true, allowUnused: true);
        var result = new Tensor?[inputs.Count];
        for (int i = 0, k = 0; i < inputs.Count; i++)
            if (inputs[i].RequiresGrad) result[i] = grads[k++];
        return result;
    }
}
