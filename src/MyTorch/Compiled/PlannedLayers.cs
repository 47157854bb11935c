using System.Numerics;
using MyTorch.Kernels;
using MyTorch.NN;

namespace MyTorch.Compiled;

/// <summary>
/// The forward computation of one planned layer on a batch of rows, shared by <see cref="CompiledTrainingStep"/> and
/// <see cref="CompiledInference"/>: the same kernels the graph's ops call, in the same order, so the numbers are the
/// graph's bit for bit. Element-wise layers may run in place (input and output the same span).
/// </summary>
internal static class PlannedLayers<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// y = layer(x) for <paramref name="rows"/> rows; a Linear layer's GEMM uses at most <paramref name="maxThreads"/>
    /// threads, and multiplies from <paramref name="packedWeights"/> (its weights packed in advance) where that fits.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Forward(StepOp op, T slope, int rows, ReadOnlySpan<T> x, Span<T> y, int maxThreads,
        Gemm.PackedB<T>? packedWeights = null)
    {
        switch (op.Kind)
        {
            case StepOpKind.Linear:
                // LinearFunction's forward: the bias rows first, then the GEMM accumulates onto them.
                var linear = op.Linear!;
                var bias = linear.B?.Elements<T>();
                if (bias is not null)
                {
                    for (int r = 0; r < rows; r++) bias.CopyTo(y.Slice(r * op.OutWidth, op.OutWidth));
                }
                Gemm.MultiplyPackedB<T>(false, false, rows, op.OutWidth, op.InWidth, x, op.InWidth, linear.W.Elements<T>(), op.OutWidth,
                    y, op.OutWidth, accumulate: bias is not null, maxThreads, packedB: packedWeights);
                break;
            case StepOpKind.Relu:
                ReluKernel.Apply(x, y);
                break;
            case StepOpKind.Sigmoid:
                SigmoidKernel.Apply(x, y);
                break;
            case StepOpKind.Tanh:
                TanhKernel.Apply(x, y);
                break;
            case StepOpKind.BatchNorm:
                BatchNormEval(op.Norm!, rows, x, y);
                break;
            case StepOpKind.LeakyRelu:
                // Tensor.LeakyRelu: x * (positive + (1 - positive) * slope), each step rounded as the graph's ops round it.
                for (int j = 0; j < y.Length; j++) y[j] = x[j] * LeakyFactor(x[j], slope);
                break;
        }
    }

    /// <summary>LeakyReLU's factor for x: 1 where x &gt; 0, else the slope (rounded as the graph rounds it).</summary>
    public static T LeakyFactor(T x, T slope)
    {
        T positive = x > T.Zero ? T.One : T.Zero;
        return positive + ((T.One - positive) * slope);
    }

    /// <summary>
    /// BatchNorm1d's evaluation forward, (x - running_mean) / sqrt(running_var + eps) * gamma + beta, with the graph's
    /// kernels in the graph's order (each step rounded as its op rounds it), row by row.
    /// </summary>
    private static void BatchNormEval(BatchNorm1d norm, int rows, ReadOnlySpan<T> x, Span<T> y)
    {
        int features = norm.NumFeatures;
        const int MaxStackFeatures = 2048;
        Span<T> std = features <= MaxStackFeatures ? stackalloc T[features] : WideStd(features);
        AddKernel.Apply(norm.RunningVar.Elements<T>(), T.CreateTruncating(norm.Eps), std);
        SqrtKernel.Apply(std, std);
        ReadOnlySpan<T> mean = norm.RunningMean.Elements<T>(), gamma = norm.Gamma.Elements<T>(), beta = norm.Beta.Elements<T>();
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * features, features);
            var yr = y.Slice(r * features, features);
            SubtractKernel.Apply(xr, mean, yr);
            DivideKernel.Apply(yr, std, yr);
            MultiplyKernel.Apply(yr, gamma, yr);
            AddKernel.Apply(yr, beta, yr);
        }
    }

    // The std row of a BatchNorm too wide for the stack: one per thread (row blocks of an inference plan run this on
    // several threads at once), grown to the widest layer seen, so that steady state allocates nothing at any width.
    [ThreadStatic]
    private static T[]? wideStd;

    private static Span<T> WideStd(int features)
    {
        if (wideStd is null || wideStd.Length < features) wideStd = new T[features];
        return wideStd.AsSpan(0, features);
    }
}
