using MyTorch.Data;
using Xunit;

namespace MyTorch.Tests.TrainingLoop;

public class DatasetTests
{
    /// <summary>A data set that is not in memory as two tensors: it makes each example when asked.</summary>
    private sealed class Computed(int count) : IDataset
    {
        public int Count => count;
        public int Reads { get; private set; }
        public (Tensor Input, Tensor Target) GetItem(int index)
        {
            Reads++;
            return (Tensor.FromArray(new float[] { index, index * 0.5f, -index }), Tensor.FromArray(new long[] { index % 4 }).Reshape());
        }
    }

    private static TensorDataset InMemory(int count)
    {
        var x = new float[count * 3];
        var y = new long[count];
        for (int i = 0; i < count; i++) (x[i * 3], x[i * 3 + 1], x[i * 3 + 2], y[i]) = (i, i * 0.5f, -i, i % 4);
        return new TensorDataset(Tensor.FromArray(x, [count, 3]), Tensor.FromArray(y));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnyDatasetGivesTheSameSeededBatchesAsTheSameTensorDataset(bool reuse)
    {
        var expected = new DataLoader(InMemory(23), 5, shuffle: true, generator: new Generator(9)) { ReuseBuffers = reuse };
        var computed = new Computed(23);
        var actual = new DataLoader(computed, 5, shuffle: true, generator: new Generator(9)) { ReuseBuffers = reuse };
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var a = expected.Select(b => (b.Inputs.ToArray(), b.Targets.ToArray<long>())).ToList();
            var b = actual.Select(b => (b.Inputs.ToArray(), b.Targets.ToArray<long>())).ToList();
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++)
            {
                Assert.Equal(a[i].Item1, b[i].Item1);
                Assert.Equal(a[i].Item2, b[i].Item2);
            }
        }
        Assert.Equal(46, computed.Reads);
    }

    [Fact]
    public void TensorDatasetItemsAreRowsWithoutTheBatchDimension()
    {
        var data = InMemory(4);
        var (x, y) = data.GetItem(2);
        Assert.Equal([3], x.Shape.ToArray());
        Assert.Equal(0, y.Rank);
        Assert.Equal([2f, 1f, -2f], x.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.GetItem(4));
    }

    [Fact]
    public void NormalizeIsPerChannelOrForAll()
    {
        var image = Tensor.FromArray(new float[] { 1, 2, 3, 4, 10, 20, 30, 40 }, [2, 2, 2]);
        var perChannel = new Normalize([2.5, 25], [0.5, 5]).Apply(image, new Generator(0));
        Assert.Equal([-3f, -1f, 1f, 3f, -3f, -1f, 1f, 3f], perChannel.ToArray());
        Assert.Equal([0f, 1f], new Normalize(1, 1).Apply(Tensor.FromArray(new float[] { 1, 2 }), new Generator(0)).ToArray());
        var error = Assert.Throws<TensorShapeException>(() => new Normalize([0, 0, 0], [1, 1, 1]).Apply(image, new Generator(0)));
        Assert.Contains("3 channels", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Normalize([0], [0]));
    }

    [Fact]
    public void RandomCropPadsWithZerosAndDrawsTopThenLeftFromTheGenerator()
    {
        var image = Tensor.FromArray(Enumerable.Range(1, 9).Select(i => (float)i).ToArray(), [1, 3, 3]);
        var crop = new RandomCrop(3, padding: 1);
        var g = new Generator(11);
        var expected = new Generator(11);
        for (int trial = 0; trial < 10; trial++)
        {
            int top = (int)expected.NextInt64(3), left = (int)expected.NextInt64(3);
            var result = crop.Apply(image, g).ToArray();
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 3; x++)
                {
                    int sy = top - 1 + y, sx = left - 1 + x;
                    float want = sy is >= 0 and < 3 && sx is >= 0 and < 3 ? sy * 3 + sx + 1 : 0;
                    Assert.Equal(want, result[y * 3 + x]);
                }
        }
        Assert.Throws<TensorShapeException>(() => new RandomCrop(6, padding: 1).Apply(image, g));
        Assert.Equal([2, 2], new RandomCrop(2).Apply(Tensor.Zeros([3, 3]), g).Shape.ToArray());
    }

    [Fact]
    public void RandomHorizontalFlipMirrorsTheLastDimension()
    {
        var image = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [1, 2, 3]);
        Assert.Equal([3f, 2f, 1f, 6f, 5f, 4f], new RandomHorizontalFlip(1).Apply(image, new Generator(0)).ToArray());
        Assert.Equal(image.ToArray(), new RandomHorizontalFlip(0).Apply(image, new Generator(0)).ToArray());
        var g = new Generator(3);
        int flips = Enumerable.Range(0, 1000).Count(_ => new RandomHorizontalFlip().Apply(image, g).ToArray()[0] == 3);
        Assert.InRange(flips, 400, 600);
    }

    [Fact]
    public void TransformedDatasetsAugmentDifferentlyEachEpochButTheSameForTheSameSeed()
    {
        var images = Tensor.FromArray(Enumerable.Range(0, 4 * 16).Select(i => (float)i).ToArray(), [4, 1, 4, 4]);
        var source = new TensorDataset(images, Tensor.FromArray(new long[] { 0, 1, 2, 3 }));
        var augment = new RandomCrop(4, padding: 2).Then(new RandomHorizontalFlip()).Then(new Normalize(8, 4));
        float[] Epochs(ulong seed)
        {
            var loader = new DataLoader(new TransformedDataset(source, augment, new Generator(seed)), 4);
            return loader.Concat(loader).SelectMany(b => b.Inputs.ToArray()).ToArray();
        }
        var run = Epochs(5);
        Assert.Equal(run, Epochs(5));
        Assert.NotEqual(run[..64], run[64..]);
    }
}
