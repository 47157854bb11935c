using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.NN;

/// <summary>
/// With <c>createGraph</c>, both batch norms' gradients are ops of their inputs, so they can be differentiated again: the
/// second derivatives match finite differences of the first, and the first equal the fused backward's.
/// </summary>
public class BatchNormDoubleBackwardTests
{
    private static Tensor U(ulong seed, double low, double high, params int[] shape) =>
        Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad: true);

    public static TheoryData<string> Layers() => ["BatchNorm1d", "BatchNorm2d"];

    private static (Module Layer, int[] Shape) Make(string layer) => layer == "BatchNorm1d"
        ? (new BatchNorm1d(3, dtype: DType.Float64), [5, 3])
        : (new BatchNorm2d(3, dtype: DType.Float64), [2, 3, 2, 2]);

    [Theory]
    [MemberData(nameof(Layers))]
    public void SecondDerivatives_MatchFiniteDifferencesOfTheFirst(string name)
    {
        var (layer, shape) = Make(name);
        var w = U(1, -1, 1, shape).Detach();
        var v = U(2, -1, 1, shape).Detach();
        var parameters = layer.Parameters().ToArray();
        // f(x, gamma, beta) = sum(v * d/dx sum(w * bn(x))): its gradient is the Hessian-vector product of the layer.
        var result = GradCheck.Check(inputs =>
        {
            using (Autograd.NoGrad())
                for (int i = 0; i < parameters.Length; i++) parameters[i].CopyFrom(inputs[i + 1].Detach());
            // The finite differences evaluate this without gradients; the inner derivative needs them either way.
            using var enabled = Autograd.EnableGrad();
            var x = inputs[0].RequiresGrad ? inputs[0] : inputs[0].Detach().RequireGrad();
            var y = BatchNormWith(layer, x, inputs[1], inputs[2]);
            var dx = Autograd.Grad((y * w).Sum(), x, createGraph: true)!;
            return (dx * v).Sum();
        }, [U(3, -2, 2, shape), U(4, 0.5, 1.5, 3), U(5, -0.5, 0.5, 3)]);
        Assert.True(result.Passed, result.ToString());
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void TheGraphsGradient_IsTheFusedBackwards(string name)
    {
        var (layer, shape) = Make(name);
        var x = U(6, -2, 2, shape);
        var g = U(7, -1, 1, shape).Detach();
        var fused = Autograd.Grad([layer.Forward(x)], [x, .. layer.Parameters()], [g]);
        var composed = Autograd.Grad([layer.Forward(x)], [x, .. layer.Parameters()], [g], createGraph: true);
        for (int i = 0; i < fused.Length; i++)
        {
            var a = fused[i]!.ToArray<double>();
            var b = composed[i]!.ToArray<double>();
            for (int k = 0; k < a.Length; k++) Assert.True(Math.Abs(a[k] - b[k]) <= 1e-12 * Math.Max(1, Math.Abs(a[k])), $"input {i} element {k}: {a[k]} vs {b[k]}");
        }
    }

    /// <summary>The layer's training forward with gamma and beta taken from <paramref name="gamma"/>, <paramref name="beta"/> (graph inputs).</summary>
    private static Tensor BatchNormWith(Module layer, Tensor x, Tensor gamma, Tensor beta) => layer switch
    {
        BatchNorm1d bn => new MyTorch.Ops.BatchNormFunction(bn, updateRunningStatistics: false).Apply(x, gamma, beta),
        BatchNorm2d bn => new MyTorch.Ops.BatchNorm2dFunction(bn, updateRunningStatistics: false).Apply(x, gamma, beta),
        _ => throw new ArgumentException(layer.GetType().Name),
    };
}
