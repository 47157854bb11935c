using System.Diagnostics;
using MyTorch.IO;
using Xunit;

namespace MyTorch.Tests.IO;

public sealed class MnistTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Load_ShippedMnist10k_Has8000TrainAnd2000TestDigits()
    {
        string directory = TempDirectory.RepositoryData("mnist-10k");
        var watch = Stopwatch.StartNew();
        var (trainImages, trainLabels, testImages, testLabels) = Mnist.Load(directory);
        watch.Stop();

        Assert.Equal([8000, 784], trainImages.Shape.ToArray());
        Assert.Equal([8000], trainLabels.Shape.ToArray());
        Assert.Equal([2000, 784], testImages.Shape.ToArray());
        Assert.Equal([2000], testLabels.Shape.ToArray());
        Assert.Equal(DType.Float32, trainImages.DType);
        Assert.Equal(DType.Int64, trainLabels.DType);

        var pixels = trainImages.ToArray();
        Assert.All(pixels, p => Assert.True(p is >= 0 and <= 255 && p == MathF.Floor(p)));
        Assert.Equal(255, pixels.Max());
        Assert.Equal(0, pixels.Min());

        // Class counts from data/mnist-10k/README.md.
        Assert.Equal([812, 887, 779, 837, 788, 689, 821, 841, 774, 772], ClassCounts(trainLabels));
        Assert.Equal([189, 240, 212, 195, 192, 174, 193, 229, 170, 206], ClassCounts(testLabels));

        // Generous bound for a cold JIT on a slow CI machine; typically well under a second.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"Mnist.Load took {watch.Elapsed}");
    }

    private static int[] ClassCounts(Tensor labels)
    {
        var counts = new int[10];
        foreach (long label in labels.ToArray<long>()) counts[label]++;
        return counts;
    }

    private static void WriteSet(string directory, int trainCount = 3, int testCount = 2, bool gzip = false, float[]? trainLabels = null)
    {
        Directory.CreateDirectory(directory);
        string Name(string n) => Path.Combine(directory, gzip ? n + ".gz" : n);
        Idx.Write(Name("train-images-idx3-ubyte"), Tensor.Arange(trainCount * 4 * 2).Reshape(trainCount, 4, 2), IdxType.UByte, gzip);
        Idx.Write(Name("train-labels-idx1-ubyte"), Tensor.FromArray(trainLabels ?? Enumerable.Range(0, trainCount).Select(i => (float)(i % 10)).ToArray()), IdxType.UByte, gzip);
        Idx.Write(Name("t10k-images-idx3-ubyte"), Tensor.Arange(testCount * 4 * 2).Reshape(testCount, 4, 2), IdxType.UByte, gzip);
        Idx.Write(Name("t10k-labels-idx1-ubyte"), Tensor.FromArray(Enumerable.Range(0, testCount).Select(i => (float)(9 - i)).ToArray()), IdxType.UByte, gzip);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_ReadsRawOrGzipFilesAndFlattensImages(bool gzip)
    {
        WriteSet(temp.Path, gzip: gzip);
        var (trainImages, trainLabels, testImages, testLabels) = Mnist.Load(temp.Path);
        Assert.Equal([3, 8], trainImages.Shape.ToArray());
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (float)i), trainImages.ToArray());
        Assert.Equal(new long[] { 0, 1, 2 }, trainLabels.ToArray<long>());
        Assert.Equal([2, 8], testImages.Shape.ToArray());
        Assert.Equal(new long[] { 9, 8 }, testLabels.ToArray<long>());
    }

    [Fact]
    public void Load_MissingDirectory_SaysWhatWasLookedFor()
    {
        string missing = temp.File("nowhere");
        var error = Assert.Throws<DirectoryNotFoundException>(() => Mnist.Load(missing));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        foreach (string name in Mnist.FileNames) Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_NamesItAndListsAllFour()
    {
        WriteSet(temp.Path);
        File.Delete(temp.File("t10k-labels-idx1-ubyte"));
        var error = Assert.Throws<FileNotFoundException>(() => Mnist.Load(temp.Path));
        Assert.Contains("'t10k-labels-idx1-ubyte' (or 't10k-labels-idx1-ubyte.gz') not found", error.Message, StringComparison.Ordinal);
        Assert.Contains(temp.Path, error.Message, StringComparison.Ordinal);
        foreach (string name in Mnist.FileNames) Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Equal(temp.File("t10k-labels-idx1-ubyte"), error.FileName);
    }

    [Fact]
    public void Load_ImageAndLabelCountsDiffer_IsADataFormatException()
    {
        WriteSet(temp.Path);
        Idx.Write(temp.File("train-labels-idx1-ubyte"), Tensor.FromArray(new float[] { 1, 2 }), IdxType.UByte);
        var error = Assert.Throws<DataFormatException>(() => Mnist.Load(temp.Path));
        Assert.Equal(temp.File("train-labels-idx1-ubyte"), error.FilePath);
        Assert.Equal(4, error.Offset);
        Assert.Equal("3 labels", error.Expected);
        Assert.Equal("2 labels", error.Found);
    }

    [Fact]
    public void Load_LabelOutside0To9_NamesItsOffset()
    {
        WriteSet(temp.Path, trainLabels: [3, 10, 4]);
        var error = Assert.Throws<DataFormatException>(() => Mnist.Load(temp.Path));
        Assert.Equal(9, error.Offset);
        Assert.Equal("10", error.Found);
        Assert.Contains("label 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ImagesThatAreNotUnsignedBytes_AreRejected()
    {
        WriteSet(temp.Path);
        Idx.Write(temp.File("train-images-idx3-ubyte"), Tensor.Zeros([3, 4, 2]), IdxType.Float32);
        var error = Assert.Throws<DataFormatException>(() => Mnist.Load(temp.Path));
        Assert.Equal(2, error.Offset);

        WriteSet(temp.Path);
        Idx.Write(temp.File("train-images-idx3-ubyte"), Tensor.Zeros([3, 8]), IdxType.UByte);
        Assert.Equal(3, Assert.Throws<DataFormatException>(() => Mnist.Load(temp.Path)).Offset);
    }
}
