using MyTorch.Compiled;
using MyTorch.Kernels;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using Xunit;

namespace MyTorch.Tests.Shape;

/// <summary>
/// A model that moves its features through every shape and indexing op trains on <see cref="CompiledTrainingStep"/> bit
/// for bit as on the graph, with batches of changing size, and its steady-state replay allocates nothing.
/// </summary>
public class ShapeReplayTests
{
    /// <summary>(rows, 8) to (rows, 8) through chunk, flip, roll, concat, stack, mT, the indexer, gather, scatter_add, index_add, masked_fill, repeat, expand.</summary>
    private sealed class Shuffle : Module
    {
        public override Tensor Forward(Tensor input)
        {
            int rows = input.Shape[0];
            var parts = input.Chunk(3, 1);                                                             // 3, 3, 2 columns
            var joined = Tensor.Concat([parts[2], parts[0].Flip(1), parts[1].Roll([1], [1])], 1);       // (rows, 8)
            var stacked = Tensor.Stack([joined, joined.mT.mT * 0.5], -1);                               // (rows, 8, 2)
            var picked = stacked[.., 1..^1, 0] + stacked[TensorIndex.Ellipsis, TensorIndex.Slice(1, 7), 1];   // (rows, 6)
            var columns = Tensor.FromArray(Enumerable.Range(0, rows * 6).Select(i => (long)(i * 5 % 8)).ToArray(), [rows, 6]);
            var gathered = joined.Gather(1, columns);                                                   // (rows, 6)
            var added = picked.ScatterAdd(1, Tensor.FromArray(Enumerable.Range(0, rows * 3).Select(i => (long)(i % 6)).ToArray(), [rows, 3]),
                gathered.Narrow(1, -3, 3));
            var mixed = added.IndexAdd(1, Tensor.FromArray(new long[] { 5, 0 }), gathered[.., TensorIndex.Slice(0, 4, 2)])
                .MaskedFill(Tensor.FromArray(new double[] { 0, 1, 0, 0, 0, 1 }).To(input.DType), 0.25);
            var tiled = mixed.Repeat(1, 2).Narrow(1, -8, 8);                                            // (rows, 8)
            var scale = input.Split([1, 7], 1)[0].Expand(-1, 8);
            return tiled + scale * input.Scatter(1, Tensor.Zeros([rows, 1], DType.Int64), 0.0);
        }
    }

    private static Sequential Model(DType dtype) => new(
        new Linear(5, 8, dtype: dtype, generator: new Generator(3)), new Tanh(), new Shuffle(), new ReLU(),
        new Linear(8, 4, dtype: dtype, generator: new Generator(4)));

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Steps_AreTheGraphsStepsBitForBit(DType dtype)
    {
        ReplayChecks.TrainsLikeTheGraph(Model, dtype, [5], 4, [6, 6, 3, 6, 3, 6]);
    }

    [Fact]
    public void SteadyState_AllocatesNothing()
    {
        ReplayChecks.SteadyStateAllocatesNothing(Model(DType.Float32), [5], 4);
    }

    [Fact]
    public void AMaskFromTheBatch_RunsOnTheGraph_AndSaysWhy()
    {
        // The result's shape depends on the mask's values: the step cannot be replayed, and is not.
        var graphModel = new Sequential(new Linear(3, 4, generator: new Generator(1)), new PositiveMean());
        var plannedModel = new Sequential(new Linear(3, 4, generator: new Generator(1)), new PositiveMean());
        var step = CompiledTrainingStep.Compile(plannedModel, new MSELoss(), new SGD(plannedModel.Parameters(), 0.1));
        var graphOptimizer = new SGD(graphModel.Parameters(), 0.1);
        var data = new Generator(4);
        for (int i = 0; i < 3; i++)
        {
            var x = Tensor.Normal([5, 3], 0, 1, data);
            var y = Tensor.Zeros([]);
            graphOptimizer.ZeroGrad();
            var loss = new MSELoss().Forward(graphModel.Forward(x), y);
            double expected = loss.Item();
            loss.Backward();
            graphOptimizer.Step();
            Assert.Equal(expected, step.Run(x, y));
        }
        Assert.NotNull(step.NotPlannedReason);
    }

    private sealed class PositiveMean : Module
    {
        public override Tensor Forward(Tensor input) => input[input.Gt(0)].Sum() / input.Count;
    }
}
