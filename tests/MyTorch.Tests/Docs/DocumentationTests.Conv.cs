using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.Docs;

public partial class DocumentationTests
{
    // ---- docs/layers-and-losses.md: convolution and pooling ------------------------------------------------------

    [Fact]
    public void ConvolutionAndPooling()
    {
        var generator = new Generator(7);
        var lenet = new Sequential(
            new Conv2d(1, 6, 5, padding: 2, generator: generator), new ReLU(), new MaxPool2d(2),   // (N, 6, 14, 14)
            new Conv2d(6, 16, 5, generator: generator), new ReLU(), new MaxPool2d(2),               // (N, 16, 5, 5)
            new Flatten(), new Linear(16 * 5 * 5, 10, generator: generator));
        Console.Write(lenet.Summary(1, 1, 28, 28));
        var logits = lenet.Forward(Tensor.Randn([8, 1, 28, 28], generator));                      // (8, 10)

        Assert.Equal([8, 10], logits.Shape.ToArray());
        Assert.Equal([1, 6, 14, 14], lenet.Summary(1, 1, 28, 28).Layers[2].OutputShape);
        Assert.Equal([1, 16, 5, 5], lenet.Summary(1, 1, 28, 28).Layers[5].OutputShape);
    }
}
