using MyTorch.Data;
using Xunit;

namespace MyTorch.Tests.Data;

public class DataLoaderTests
{
    // Row i holds inputs (i, -i) and target i, so a batch's targets name its rows.
    private static TensorDataset Numbered(int count)
    {
        var x = new double[count * 2];
        var y = new double[count];
        for (int i = 0; i < count; i++) (x[2 * i], x[2 * i + 1], y[i]) = (i, -i, i);
        return new TensorDataset(Tensor.FromArray(x, [count, 2]), Tensor.FromArray(y, [count, 1]));
    }

    private static List<int[]> Epoch(DataLoader loader) =>
        loader.Select(batch => batch.Targets.ToArray<double>().Select(v => (int)v).ToArray()).ToList();

    [Theory]
    [InlineData(10, 3, false)]
    [InlineData(10, 3, true)]
    [InlineData(10, 5, true)]
    [InlineData(7, 10, true)]
    [InlineData(1, 1, false)]
    public void EveryRowOnceAnEpoch(int count, int batchSize, bool shuffle)
    {
        var loader = new DataLoader(Numbered(count), batchSize, shuffle, generator: new Generator(1));
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var batches = Epoch(loader);
            Assert.Equal(loader.BatchCount, batches.Count);
            Assert.All(batches[..^1], b => Assert.Equal(batchSize, b.Length));
            Assert.Equal(Enumerable.Range(0, count), batches.SelectMany(b => b).Order());
        }
    }

    [Fact]
    public void InputsStayPairedWithTargets()
    {
        foreach (var (inputs, targets) in new DataLoader(Numbered(9), 4, shuffle: true, generator: new Generator(3)))
        {
            var x = inputs.ToArray<double>();
            var y = targets.ToArray<double>();
            Assert.Equal([y.Length, 2], inputs.Shape.ToArray());
            for (int i = 0; i < y.Length; i++) Assert.Equal((y[i], -y[i]), (x[2 * i], x[2 * i + 1]));
        }
    }

    [Fact]
    public void WithoutShufflingBatchesFollowRowOrder()
    {
        var batches = Epoch(new DataLoader(Numbered(5), 2));
        Assert.Equal([[0, 1], [2, 3], [4]], batches);
    }

    [Fact]
    public void DropLastLeavesOutTheShortBatch()
    {
        var loader = new DataLoader(Numbered(10), 3, shuffle: true, dropLast: true, generator: new Generator(2));
        Assert.Equal(3, loader.BatchCount);
        var batches = Epoch(loader);
        Assert.Equal(3, batches.Count);
        Assert.All(batches, b => Assert.Equal(3, b.Length));
        Assert.Equal(9, batches.SelectMany(b => b).Distinct().Count());
    }

    [Theory]
    [InlineData(10, 5, false, 2)]
    [InlineData(10, 5, true, 2)]
    [InlineData(11, 5, false, 3)]
    [InlineData(11, 5, true, 2)]
    [InlineData(4, 5, true, 0)]
    [InlineData(4, 5, false, 1)]
    [InlineData(0, 5, false, 0)]
    public void BatchCountMatchesTheBatches(int count, int batchSize, bool dropLast, int expected)
    {
        var loader = new DataLoader(Numbered(count), batchSize, dropLast: dropLast);
        Assert.Equal(expected, loader.BatchCount);
        Assert.Equal(expected, Epoch(loader).Count);
    }

    [Fact]
    public void TheSameSeedGivesTheSameBatchesEveryEpoch()
    {
        var first = new DataLoader(Numbered(20), 6, shuffle: true, generator: new Generator(42));
        var second = new DataLoader(Numbered(20), 6, shuffle: true, generator: new Generator(42));
        for (int epoch = 0; epoch < 3; epoch++) Assert.Equal(Epoch(first), Epoch(second));
    }

    [Fact]
    public void SuccessiveEpochsShuffleDifferently()
    {
        var loader = new DataLoader(Numbered(20), 6, shuffle: true, generator: new Generator(42));
        var epoch0 = Epoch(loader).SelectMany(b => b).ToArray();
        var epoch1 = Epoch(loader).SelectMany(b => b).ToArray();
        Assert.NotEqual(epoch0, epoch1);
        Assert.NotEqual(Enumerable.Range(0, 20), epoch0);
    }

    [Fact]
    public void TheOrderIsDrawnWhenAnEpochStarts()
    {
        // Saving the generator's state before an epoch and restoring it replays that epoch (resuming training).
        var generator = new Generator(5);
        var loader = new DataLoader(Numbered(12), 5, shuffle: true, generator: generator);
        Epoch(loader);
        var state = generator.GetState();
        var expected = Epoch(loader);
        generator.SetState(state);
        Assert.Equal(expected, Epoch(loader));
    }

    [Fact]
    public void BatchesAreCopies()
    {
        var data = Numbered(4);
        var (inputs, _) = new DataLoader(data, 4).First();
        inputs.Fill(7);
        Assert.Equal(0.0, data.Inputs.At(0, 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void NonPositiveBatchSizeIsRejected(int batchSize)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(4), batchSize));
        Assert.Equal("batchSize", error.ParamName);
    }

    [Fact]
    public void NullDataIsRejected() => Assert.Throws<ArgumentNullException>(() => new DataLoader(null!, 2));
}
