using MyTorch.Seed;
using Xunit;

namespace MyTorch.Tests.Seeds;

/// <summary>
/// <see cref="MLP.TrainStep"/> replays the seed loop's calls after recording them: the same losses, errors, parameters,
/// momentum and running statistics as calling ZeroGrads, Forward, Backward, Step, TotalLoss, Error and ZeroGrads, and no
/// allocation in steady state.
/// </summary>
public class MLPTrainStepTests
{
    private static MLP Network(DType dtype, int numBnLayers)
    {
        var init = new Generator(21);
        return new MLP(5, 3, [8, 6], [new Tanh(), new ReLU(), new Identity()],
            (i, o) => Tensor.Randn([i, o], init, dtype) * 0.5, o => Tensor.Zeros([1, o], dtype),
            new SoftmaxCrossEntropy(), lr: 0.05, momentum: 0.9, numBnLayers: numBnLayers);
    }

    [Theory]
    [InlineData(DType.Float32, 0)]
    [InlineData(DType.Float32, 2)]
    [InlineData(DType.Float64, 1)]
    public void TrainStep_IsTheSeedLoopsCalls_BitForBit(DType dtype, int numBnLayers)
    {
        var eager = Network(dtype, numBnLayers);
        var planned = Network(dtype, numBnLayers);
        var data = new Generator(4);
        foreach (int rows in new[] { 7, 7, 4, 7, 7, 4, 7 })
        {
            var x = Tensor.Normal([rows, 5], 0, 1, data, dtype);
            var y = Tensor.FromArray(Enumerable.Range(0, rows).Select(_ => data.NextInt64(3)).ToArray());

            eager.ZeroGrads();
            eager.Forward(x);
            eager.Backward(y);
            eager.Step();
            double loss = eager.TotalLoss(y);
            int errors = eager.Error(y);
            eager.ZeroGrads();

            Assert.Equal((loss, errors), planned.TrainStep(x, y));
            Assert.Null(planned.NotPlannedReason);
            foreach (var (name, tensor) in eager.StateDict())
                Assert.True(tensor.ToArray<double>().SequenceEqual(planned.StateDict()[name].ToArray<double>()), $"{name} differs");
            for (int i = 0; i < eager.LinearLayers.Count; i++)
                Assert.Equal(eager.LinearLayers[i].MomentumW.ToArray<double>(), planned.LinearLayers[i].MomentumW.ToArray<double>());
        }
    }

    [Fact]
    public void TrainStep_InSteadyState_AllocatesNothing()
    {
        var mlp = Network(DType.Float32, 1);
        // New batch tensors of one shape each step, as a loop over a data set gives: replayed, never recorded again.
        var data = new Generator(3);
        var batches = Enumerable.Range(0, 4).Select(b => (X: Tensor.Normal([16, 5], 0, 1, data),
            Y: Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (long)((i + b) % 3)).ToArray()))).ToArray();
        for (int i = 0; i < 30; i++) mlp.TrainStep(batches[i % 4].X, batches[i % 4].Y);
        Assert.Equal(0, SteadyState.AllocatedBytes(() => { for (int i = 0; i < 50; i++) mlp.TrainStep(batches[i % 4].X, batches[i % 4].Y); }));
    }
}
