using MyTorch.Losses;
using SoftmaxCrossEntropy = MyTorch.Seed.SoftmaxCrossEntropy;
using Xunit;

namespace MyTorch.Tests.Losses;

/// <summary>Bad shapes, class indices and element types fail with errors that name the loss and what was wrong.</summary>
public class LossErrorTests
{
    private static Tensor Float64(params int[] shape) => Tensor.Zeros(shape, DType.Float64);

    private static Tensor Labels(params long[] labels) => Tensor.FromArray(labels);

    [Theory]
    [InlineData(nameof(MSELoss))]
    [InlineData(nameof(SumSquaredError))]
    [InlineData(nameof(BCELoss))]
    [InlineData(nameof(BCEWithLogitsLoss))]
    public void ElementWiseLossesRejectDifferentShapes(string lossName)
    {
        var loss = LossGradCheckTests.Create(lossName, Reduction.Mean);
        var error = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(3, 4), Float64(4, 3)));
        Assert.Contains(lossName + ":", error.Message, StringComparison.Ordinal);
        Assert.Contains("input has shape (3, 4) but target has shape (4, 3)", error.Message, StringComparison.Ordinal);

        // Broadcastable shapes are refused too: PyTorch only warns, and the result is almost always a bug.
        var broadcast = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(3, 1), Float64(3)));
        Assert.Contains("(3, 1)", broadcast.Message, StringComparison.Ordinal);
        Assert.Contains("(3,)", broadcast.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(MSELoss))]
    [InlineData(nameof(SumSquaredError))]
    [InlineData(nameof(BCELoss))]
    [InlineData(nameof(BCEWithLogitsLoss))]
    [InlineData(nameof(CrossEntropyLoss))]
    [InlineData(nameof(SoftmaxCrossEntropy))]
    public void FloatTargetsMustMatchTheInputDType(string lossName)
    {
        var loss = LossGradCheckTests.Create(lossName, Reduction.Mean);
        var error = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(2, 3), Tensor.Zeros([2, 3], DType.Float32)));
        Assert.Contains(lossName + ":", error.Message, StringComparison.Ordinal);
        Assert.Contains("input is float64 (2, 3) but target is float32 (2, 3)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(MSELoss))]
    [InlineData(nameof(CrossEntropyLoss))]
    [InlineData(nameof(NLLLoss))]
    [InlineData(nameof(BCEWithLogitsLoss))]
    public void IntegerInputsAreRejected(string lossName)
    {
        var loss = LossGradCheckTests.Create(lossName, Reduction.Mean);
        var input = Tensor.FromArray(new long[] { 1, 2, 3, 4 }, [2, 2]);
        var error = Assert.Throws<TensorShapeException>(() => loss.Forward(input, Labels(0, 1)));
        Assert.Contains(lossName + ": input must be float32 or float64, got int64 of shape (2, 2)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(CrossEntropyLoss))]
    [InlineData(nameof(SoftmaxCrossEntropy))]
    public void CrossEntropyRejectsMismatchedTargets(string lossName)
    {
        var loss = LossGradCheckTests.Create(lossName, Reduction.Mean);

        var rows = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(4, 3), Float64(4, 2)));
        Assert.Contains($"{lossName}: input has shape (4, 3) but target has shape (4, 2)", rows.Message, StringComparison.Ordinal);
        Assert.Contains("class indices of shape (4,) or probabilities of shape (4, 3)", rows.Message, StringComparison.Ordinal);

        var indices = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(4, 3), Labels(0, 1, 2, 0, 1)));
        Assert.Contains($"{lossName}: input has shape (4, 3) but target has shape (5,)", indices.Message, StringComparison.Ordinal);
        Assert.Contains("class indices must have shape (4,)", indices.Message, StringComparison.Ordinal);

        // Float labels of shape (batch,): the message says class indices must be int64.
        var floatLabels = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(4, 3), Float64(4)));
        Assert.Contains("class indices must be int64 of shape (4,)", floatLabels.Message, StringComparison.Ordinal);

        var rank = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(3), Labels(0)));
        Assert.Contains($"{lossName}: input must be logits of shape (batch, classes)", rank.Message, StringComparison.Ordinal);
        Assert.Contains("got shape (3,)", rank.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(CrossEntropyLoss), 3L)]
    [InlineData(nameof(SoftmaxCrossEntropy), 7L)]
    [InlineData(nameof(NLLLoss), 3L)]
    [InlineData(nameof(NLLLoss), -1L)]
    public void ClassIndicesOutOfRangeNameTheIndexAndTheClassCount(string lossName, long badIndex)
    {
        var loss = LossGradCheckTests.Create(lossName, Reduction.Mean);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Forward(Float64(3, 3), Labels(0, badIndex, 2)));
        Assert.Contains($"{lossName}: target class index {badIndex} at position 1 is out of range for 3 classes (expected 0 to 2)",
            error.Message, StringComparison.Ordinal);
        Assert.Equal("target", error.ParamName);
    }

    [Fact]
    public void NLLLossNeedsInt64ClassIndices()
    {
        var loss = new NLLLoss();
        var error = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(4, 3), Float64(4)));
        Assert.Contains("NLLLoss: target must hold int64 class indices of shape (4,), got float64 of shape (4,)", error.Message,
            StringComparison.Ordinal);
        // Probability rows are a cross-entropy target, not an NLL one.
        Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(4, 3), Float64(4, 3)));

        var shape = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(4, 3), Labels(0, 1)));
        Assert.Contains("NLLLoss: input has shape (4, 3) but target has shape (2,)", shape.Message, StringComparison.Ordinal);

        var rank = Assert.Throws<TensorShapeException>(() => loss.Forward(Float64(2, 3, 4), Labels(0, 1)));
        Assert.Contains("NLLLoss: input must be log-probabilities of shape (batch, classes)", rank.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(-0.25)]
    [InlineData(double.NaN)]
    public void BCELossNeedsProbabilities(double bad)
    {
        var input = Tensor.FromArray(new[] { 0.5, 0.25, bad, 1.0 });
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BCELoss().Forward(input, Float64(4)));
        Assert.Contains("BCELoss: every input element must be a probability in [0, 1]; element 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("BCEWithLogitsLoss", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NullArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => new MSELoss().Forward(null!, Float64(2)));
        Assert.Throws<ArgumentNullException>(() => new CrossEntropyLoss().Forward(Float64(2, 2), null!));
        Assert.Throws<ArgumentNullException>(() => new NLLLoss().Forward(null!, Labels(0)));
    }
}
