using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.NN;

/// <summary>Module.Summary: each layer's output shape and parameter counts, totals, and a clear error for a layer that does not fit.</summary>
public class ModelSummaryTests
{
    [Fact]
    public void EveryLayer_WithItsOutputShapeAndParameters()
    {
        var model = new Sequential(new Linear(784, 256), new BatchNorm1d(256), new ReLU(),
            new Sequential(new Linear(256, 128), new Tanh()), new Dropout(0.2), new Linear(128, 10));
        model.Parameters().Last().RequiresGrad = false; // the last bias frozen
        var summary = model.Summary(32, 784);
        Assert.Equal(["0", "1", "2", "3.0", "3.1", "4", "5"], summary.Layers.Select(l => l.Name));
        Assert.Equal([32, 256], summary.Layers[0].OutputShape);
        Assert.Equal([32, 10], summary.Layers[^1].OutputShape);
        Assert.Equal(784 * 256 + 256, summary.Layers[0].Parameters);
        Assert.Equal(2 * 256, summary.Layers[1].Parameters);
        Assert.Equal(0, summary.Layers[2].Parameters);
        long total = 784 * 256 + 256 + 512 + 256 * 128 + 128 + 128 * 10 + 10;
        Assert.Equal(total, summary.TotalParameters);
        Assert.Equal(total - 10, summary.TrainableParameters);
        var text = summary.ToString();
        Assert.Contains("Linear(in_features=784, out_features=256, bias=True)", text, StringComparison.Ordinal);
        Assert.Contains("(32, 128)", text, StringComparison.Ordinal);
        Assert.Contains($"total parameters: {total:N0}", text, StringComparison.Ordinal);
        Assert.True(model.IsTraining); // flags put back; the running statistics did not move
        Assert.Equal(new float[256], ((BatchNorm1d)model[1]).RunningMean.ToArray());
    }

    [Fact]
    public void ALayerThatDoesNotFit_IsNamed()
    {
        var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(5, 2));
        var error = Assert.Throws<TensorShapeException>(() => model.Summary(1, 4));
        Assert.Contains("layer 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("(1, 3)", error.Message, StringComparison.Ordinal);
    }
}
