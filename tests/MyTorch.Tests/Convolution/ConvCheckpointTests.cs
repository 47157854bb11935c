using MyTorch.IO;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Convolution;

/// <summary>A convolutional model's state (weights, BatchNorm2d's running statistics and its int64 batch count) survives a safetensors file.</summary>
public class ConvCheckpointTests
{
    private static Sequential Model(ulong seed) => new(new Conv2d(2, 4, 3, generator: new Generator(seed)), new BatchNorm2d(4), new ReLU(),
        new MaxPool2d(2), new Flatten(), new Linear(4, 3, generator: new Generator(seed + 1)));

    [Fact]
    public void StateRoundTripsThroughSafetensors()
    {
        var model = Model(1);
        model.Forward(Tensor.Normal([3, 2, 4, 4], 0, 1, new Generator(2)));
        string path = Path.Combine(Path.GetTempPath(), $"conv-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, model.StateDict());
            var copy = Model(5);
            copy.LoadStateDict(Safetensors.Load(path));
            foreach (var (name, tensor) in model.StateDict())
                Assert.True(tensor.ToArray<double>().SequenceEqual(copy.StateDict()[name].ToArray<double>()), name);
            Assert.Equal(1L, ((BatchNorm2d)copy.NamedChildren().ElementAt(1).Module).NumBatchesTracked!.ToArray<long>()[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>Drawings and traces name the convolution and pooling ops with their own notation, with and without a bias.</summary>
public class ConvNotationTests
{
    [Theory]
    [InlineData("conv2d", 3, "conv2d({0}, {1}) + {2}")]
    [InlineData("conv2d", 2, "conv2d({0}, {1})")]
    [InlineData("max_pool2d", 1, "max_pool2d({0})")]
    [InlineData("avg_pool2d", 1, "avg_pool2d({0})")]
    [InlineData("conv2d_input_grad", 2, "conv_transpose2d({0}, {1})")]
    public void OpsHaveTheirNotation(string op, int inputs, string expression) =>
        Assert.Equal(expression, MyTorch.Visualization.OpNotation.For(op, inputs).Expression);
}
