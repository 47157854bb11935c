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
        var graphModel = Model(dtype, 4);
        var plannedModel = Model(dtype, 4);
        var criterion = new CrossEntropyLoss();
        var graphOptimizer = new SGD(graphModel.Parameters(), 0.05, momentum: 0.9);
        var step = CompiledTrainingStep.Compile(plannedModel, criterion, new SGD(plannedModel.Parameters(), 0.05, momentum: 0.9));
        var data = new Generator(6);
        foreach (int rows in new[] { 7, 7, 3, 7, 7 })
        {
            var x = Tensor.Normal([rows, Inputs], 0, 2, data, dtype);
            var y = Tensor.FromArray(Enumerable.Range(0, rows).Select(_ => data.NextInt64(Outputs)).ToArray());
            graphOptimizer.ZeroGrad();
            var loss = criterion.Forward(graphModel.Forward(x), y);
            double expected = loss.Item();
            loss.Backward();
            graphOptimizer.Step();

            Assert.Equal(expected, step.Run(x, y));
            Assert.Null(step.NotPlannedReason);
        }
        var graphParameters = graphModel.Parameters().ToArray();
        var plannedParameters = plannedModel.Parameters().ToArray();
        for (int i = 0; i < graphParameters.Length; i++)
            Assert.Equal(graphParameters[i].ToArray<double>(), plannedParameters[i].ToArray<double>());
    }

    [Fact]
    public void SteadyState_AllocatesNothing()
    {
        var model = Model(DType.Float32, 2);
        var step = CompiledTrainingStep.Compile(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.01));
        var data = new Generator(3);
        var batches = Enumerable.Range(0, 3).Select(b => (X: Tensor.Normal([8, Inputs], 0, 1, data),
            Y: Tensor.FromArray(Enumerable.Range(0, 8).Select(i => (long)((i + b) % Outputs)).ToArray()))).ToArray();
        for (int i = 0; i < 20; i++) step.Run(batches[i % 3].X, batches[i % 3].Y);
        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 30; i++) step.Run(batches[i % 3].X, batches[i % 3].Y); }));
        Assert.Null(step.NotPlannedReason);
    }
}
