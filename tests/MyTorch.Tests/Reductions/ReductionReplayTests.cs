using MyTorch.Compiled;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Reductions;

/// <summary>
/// A model whose hidden layer uses the reductions (multi-dimension mean and var, std, norm, prod, cumsum, cumprod, sort,
/// topk, median, max with indices, logsumexp) trains on <see cref="CompiledTrainingStep"/> bit for bit as on the graph, and
/// its replayed steps allocate nothing.
/// </summary>
public class ReductionReplayTests
{
    private const int Inputs = 5, Width = 6, Outputs = 3;

    /// <summary>Features of each row of h, of the same width, from every reduction.</summary>
    private sealed class ReductionFeatures : Module
    {
        public override Tensor Forward(Tensor h)
        {
            var bounded = h.Tanh();
            var scaled = (h - h.Mean([1], keepDim: true)) / (h.Std(1, keepDim: true) + 1);
            var normed = h / (h.Norm(2, 1, keepDim: true) + 1) + h.Norm(1, [0, 1]) * 0.01 + h.Norm(double.PositiveInfinity, 0) * 0.1;
            var running = bounded.Cumsum(1) * 0.2 + (bounded * 0.5 + 1).Cumprod(1) * 0.1 + (bounded + 2).Prod(1, keepDim: true) * 0.01;
            var ordered = h.Sort(1, descending: true).Values * 0.3 + h.TopK(Width, 1, largest: false).Values * 0.2;
            var central = h.Median(1, keepDim: true).Values + h.Median() * 0.1 + h.MaxWithIndices(1, keepDim: true).Values * 0.1;
            var spread = h.Var([0, 1]) * 0.05 + h.LogSumExp() * 0.01;
            return scaled + normed + running + ordered + central + spread;
        }
    }

    private static Sequential Model(DType dtype, ulong seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(Inputs, Width, dtype: dtype, generator: g), new ReductionFeatures(), new Tanh(),
            new Linear(Width, Outputs, dtype: dtype, generator: g));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Steps_AreTheGraphsStepsBitForBit(DType dtype)
    {
        ReplayChecks.TrainsLikeTheGraph(d => Model(d, 4), dtype, [Inputs], Outputs, [7, 7, 3, 7, 7], seed: 6, inputScale: 2);
    }

    [Fact]
    public void SteadyState_AllocatesNothing()
    {
        ReplayChecks.SteadyStateAllocatesNothing(Model(DType.Float32, 2), [Inputs], Outputs, rows: 8);
    }
}
