using MyTorch.Losses;
using SoftmaxCrossEntropy = MyTorch.Seed.SoftmaxCrossEntropy;
using Xunit;

namespace MyTorch.Tests.Losses;

/// <summary>
/// Float64 finite-difference checks of every loss, for every reduction and every kind of target it takes.
/// Inputs come from seeded generators and stay away from the edges (probabilities in [0.05, 0.95]), so
/// <see cref="GradCheck"/>'s default tolerances (step 1e-6, abs 1e-6, rel 1e-5) must hold.
/// </summary>
public class LossGradCheckTests
{
    private const int Batch = 4;
    private const int Classes = 5;
    private static readonly long[] Labels = [3, 0, 4, 1];
    private static readonly Reduction[] Reductions = [Reduction.Mean, Reduction.Sum, Reduction.None];

    /// <summary>Each loss with the target kinds it accepts.</summary>
    private static readonly (string Loss, string[] Targets)[] Losses =
    [
        (nameof(SoftmaxCrossEntropy), ["indices", "onehot", "probabilities"]),
        (nameof(CrossEntropyLoss), ["indices", "onehot", "probabilities"]),
        (nameof(NLLLoss), ["indices"]),
        (nameof(MSELoss), ["values"]),
        (nameof(SumSquaredError), ["values"]),
        (nameof(BCELoss), ["hard", "soft"]),
        (nameof(BCEWithLogitsLoss), ["hard", "soft", "zero_logits"]),
    ];

    public static TheoryData<string, Reduction, string> Cases()
    {
        var data = new TheoryData<string, Reduction, string>();
        foreach (var (loss, targets) in Losses)
            foreach (var reduction in Reductions)
                foreach (var target in targets)
                    data.Add(loss, reduction, target);
        return data;
    }

    internal static Loss Create(string loss, Reduction reduction) => loss switch
    {
        nameof(SoftmaxCrossEntropy) => new SoftmaxCrossEntropy(reduction),
        nameof(CrossEntropyLoss) => new CrossEntropyLoss(reduction),
        nameof(NLLLoss) => new NLLLoss(reduction),
        nameof(MSELoss) => new MSELoss(reduction),
        nameof(SumSquaredError) => new SumSquaredError(reduction),
        nameof(BCELoss) => new BCELoss(reduction),
        nameof(BCEWithLogitsLoss) => new BCEWithLogitsLoss(reduction),
        _ => throw new ArgumentException($"Unknown loss '{loss}'.", nameof(loss)),
    };

    private static Tensor Uniform(ulong seed, double low, double high, int[] shape, bool requiresGrad = false) =>
        Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad);

    /// <summary>A float64 input that requires grad and a target of the given kind, for the given loss.</summary>
    private static (Tensor Input, Tensor Target) Inputs(string loss, string targetKind)
    {
        Tensor input = loss switch
        {
            nameof(NLLLoss) => Uniform(11, -2, 2, [Batch, Classes]).LogSoftmax(1).Detach().RequireGrad(),
            nameof(BCELoss) => Uniform(12, 0.05, 0.95, [3, 4], requiresGrad: true),
            nameof(BCEWithLogitsLoss) when targetKind == "zero_logits" =>
                // Exact zeros, where the stable form's max(x, 0) and |x| have their kinks.
                Tensor.FromArray(new double[] { 0, 0, 1.5, -2, 0, 0.25 }, [2, 3], requiresGrad: true),
            nameof(BCEWithLogitsLoss) => Uniform(13, -4, 4, [3, 4], requiresGrad: true),
            nameof(MSELoss) or nameof(SumSquaredError) => Uniform(14, -2, 2, [3, 4], requiresGrad: true),
            _ => Uniform(15, -3, 3, [Batch, Classes], requiresGrad: true),
        };
        Tensor target = targetKind switch
        {
            "indices" => Tensor.FromArray(Labels),
            "onehot" => OneHot(Labels, Classes),
            "probabilities" => Uniform(16, -1, 1, [Batch, Classes]).Softmax(1),
            "values" => Uniform(17, -2, 2, input.Shape.ToArray()),
            "hard" => Uniform(18, 0, 1, input.Shape.ToArray()).Gt(0.5),
            "soft" => Uniform(19, 0, 1, input.Shape.ToArray()),
            "zero_logits" => Tensor.FromArray(new double[] { 1, 0, 1, 0, 0.3, 1 }, [2, 3]),
            _ => throw new ArgumentException($"Unknown target kind '{targetKind}'.", nameof(targetKind)),
        };
        return (input, target);
    }

    internal static Tensor OneHot(long[] labels, int classes)
    {
        var values = new double[labels.Length * classes];
        for (int i = 0; i < labels.Length; i++) values[i * classes + labels[i]] = 1;
        return Tensor.FromArray(values, [labels.Length, classes]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InputGradientMatchesFiniteDifferences(string lossName, Reduction reduction, string targetKind)
    {
        var loss = Create(lossName, reduction);
        var (input, target) = Inputs(lossName, targetKind);
        var result = GradCheck.Check(x => loss.Forward(x[0], target), [input]);
        Assert.True(result.Passed, $"{lossName} ({reduction}, {targetKind} targets): {result}");
    }

    /// <summary>Float targets are differentiable too (for example a target produced by another network).</summary>
    [Theory]
    [InlineData(nameof(CrossEntropyLoss), "probabilities")]
    [InlineData(nameof(SoftmaxCrossEntropy), "probabilities")]
    [InlineData(nameof(MSELoss), "values")]
    [InlineData(nameof(SumSquaredError), "values")]
    [InlineData(nameof(BCELoss), "soft")]
    [InlineData(nameof(BCEWithLogitsLoss), "soft")]
    public void TargetGradientMatchesFiniteDifferences(string lossName, string targetKind)
    {
        foreach (var reduction in Reductions)
        {
            var loss = Create(lossName, reduction);
            var (input, target) = Inputs(lossName, targetKind);
            target = target.Detach().Clone().RequireGrad();
            var result = GradCheck.Check(x => loss.Forward(x[0], x[1]), [input, target]);
            Assert.True(result.Passed, $"{lossName} ({reduction}) with respect to input and target: {result}");
        }
    }
}
