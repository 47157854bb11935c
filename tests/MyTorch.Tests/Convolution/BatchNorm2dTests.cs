using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Convolution;

/// <summary>
/// BatchNorm2d's state and modes beyond the PyTorch fixtures (PyTorch's keys, num_batches_tracked, the cumulative
/// average when momentum is null, evaluation on the running statistics, the fused kernels against the same formula as
/// tensor ops), Dropout2d's whole-channel masks, and model summaries of convolutional networks.
/// </summary>
public class BatchNorm2dTests
{
    [Fact]
    public void State_HasPyTorchsKeysAndCountsBatches()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.StateDict().Keys.ToArray());
        Assert.Equal("BatchNorm2d(3, eps=1E-05, momentum=0.1, affine=True, track_running_stats=True)", bn.ToString());
        var x = Tensor.Normal([4, 3, 2, 5], 1, 2, new Generator(1));
        bn.Forward(x);
        bn.Forward(x);
        Assert.Equal(2L, bn.NumBatchesTracked!.ToArray<long>()[0]);
        bn.Eval();
        bn.Forward(x);
        Assert.Equal(2L, bn.NumBatchesTracked!.ToArray<long>()[0]);
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], new BatchNorm2d(2, affine: false).StateDict().Keys.ToArray());
        Assert.Empty(new BatchNorm2d(2, trackRunningStats: false).NamedBuffers());
    }

    [Fact]
    public void Training_IsTheFormulaAsOps_AndMomentumNullIsACumulativeAverage()
    {
        var bn = new BatchNorm2d(2, momentum: null, dtype: DType.Float64);
        var data = new Generator(2);
        var batches = Enumerable.Range(0, 3).Select(_ => Tensor.Normal([3, 2, 4, 3], 0.5, 1.5, data, DType.Float64)).ToArray();
        var expectedMean = new double[2];
        var expectedVar = new double[2];
        foreach (var x in batches)
        {
            var y = bn.Forward(x).ToArray<double>();
            var values = x.ToArray<double>();
            for (int c = 0; c < 2; c++)
            {
                var channel = Enumerable.Range(0, values.Length).Where(i => i / 12 % 2 == c).Select(i => values[i]).ToArray();
                double mean = channel.Average(), variance = channel.Select(v => (v - mean) * (v - mean)).Average();
                expectedMean[c] += mean / batches.Length;
                expectedVar[c] += variance * channel.Length / (channel.Length - 1) / batches.Length;
                foreach (var i in Enumerable.Range(0, values.Length).Where(i => i / 12 % 2 == c))
                    Assert.Equal((values[i] - mean) / Math.Sqrt(variance + 1e-5), y[i], 12);
            }
        }
        var runningMean = bn.RunningMean!.ToArray<double>();
        var runningVar = bn.RunningVar!.ToArray<double>();
        for (int c = 0; c < 2; c++)
        {
            Assert.Equal(expectedMean[c], runningMean[c], 12);
            Assert.Equal(expectedVar[c], runningVar[c], 12);
        }
    }

    [Fact]
    public void Evaluation_UsesTheRunningStatistics_AndBadInputsAreShapeErrors()
    {
        var bn = new BatchNorm2d(2, dtype: DType.Float64);
        using (Autograd.NoGrad()) bn.RunningMean!.CopyFrom(Tensor.FromArray(new double[] { 1, -1 }));
        bn.Eval();
        var x = Tensor.Ones([1, 2, 1, 1], DType.Float64);
        var y = bn.Forward(x).ToArray<double>();
        Assert.Equal(0, y[0], 12);
        Assert.Equal(2 / Math.Sqrt(1 + 1e-5), y[1], 12);
        bn.Train();
        var single = Assert.Throws<TensorShapeException>(() => bn.Forward(Tensor.Ones([1, 2, 1, 1], DType.Float64)));
        Assert.Contains("more than 1 value per channel", single.Message, StringComparison.Ordinal);
        Assert.Throws<TensorShapeException>(() => bn.Forward(Tensor.Ones([2, 3, 2, 2], DType.Float64)));
        Assert.Throws<TensorShapeException>(() => bn.Forward(Tensor.Ones([2, 2, 2], DType.Float64)));
        Assert.Throws<TensorShapeException>(() => bn.Forward(Tensor.Ones([2, 2, 2, 2])));
    }

    [Fact]
    public void Dropout2d_ZeroesWholeChannels_ThroughItsGenerator()
    {
        var x = Tensor.Ones([4, 8, 3, 3]).RequireGrad();
        var y = new Dropout2d(0.5, new Generator(3)).Forward(x);
        var values = y.ToArray<double>();
        int zeroed = 0;
        for (int plane = 0; plane < 32; plane++)
        {
            var channel = values.Skip(plane * 9).Take(9).ToArray();
            Assert.True(channel.All(v => v == 0) || channel.All(v => v == 2), $"channel {plane} is mixed");
            if (channel[0] == 0) zeroed++;
        }
        Assert.InRange(zeroed, 6, 26);
        Assert.Equal(values, new Dropout2d(0.5, new Generator(3)).Forward(x).ToArray<double>());
        y.Sum().Backward();
        Assert.Equal(values, x.Grad!.ToArray<double>());
        var eval = new Dropout2d(0.5);
        eval.Eval();
        Assert.Same(x, eval.Forward(x));
        Assert.Equal("Dropout2d(p=0.5, inplace=False)", eval.ToString());
        Assert.Throws<TensorShapeException>(() => new Dropout2d().Forward(Tensor.Ones([3, 4])));
    }

    [Fact]
    public void Summary_ShowsEachConvolutionalLayersOutputShape()
    {
        var model = new Sequential(new Conv2d(1, 6, 5, padding: 2), new BatchNorm2d(6), new ReLU(), new MaxPool2d(2), new Conv2d(6, 16, 5), new ReLU(),
            new AvgPool2d(2), new Dropout2d(0.2), new Flatten(), new Linear(400, 10));
        var summary = model.Summary(2, 1, 28, 28);
        Assert.Equal([2, 6, 28, 28], summary.Layers[0].OutputShape);
        Assert.Equal([2, 6, 14, 14], summary.Layers[3].OutputShape);
        Assert.Equal([2, 16, 10, 10], summary.Layers[4].OutputShape);
        Assert.Equal([2, 400], summary.Layers[8].OutputShape);
        Assert.Equal(6 * 25 + 6, summary.Layers[0].Parameters);
        Assert.Contains("Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))", summary.ToString(), StringComparison.Ordinal);
        var error = Assert.Throws<TensorShapeException>(() => model.Summary(2, 1, 8, 8));
        Assert.Contains("smallest input size that works", error.Message, StringComparison.Ordinal);
    }
}
