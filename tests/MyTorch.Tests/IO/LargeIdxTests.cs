using System.Buffers.Binary;
using System.IO.Compression;
using MyTorch.Data;
using MyTorch.IO;
using Xunit;

namespace MyTorch.Tests.IO;

/// <summary>
/// The readers' paths for large files: gzip data decoded straight into the tensor or (for a header promising far more
/// than the file could hold) through kept chunks, conversion on a second thread one chunk behind the read, the raw
/// bytes MNIST splits are gathered from, and Mnist.LoadSplit against Load followed by DatasetSplit.
/// </summary>
public sealed class LargeIdxTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>An IDX file of ubyte elements: the header, then <paramref name="data"/> (which may be shorter or longer than the shape says).</summary>
    private static byte[] IdxBytes(int[] shape, byte[] data, byte type = 0x08)
    {
        var file = new byte[4 + 4 * shape.Length + data.Length];
        file[2] = type;
        file[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4 + 4 * i), shape[i]);
        data.CopyTo(file, 4 + 4 * shape.Length);
        return file;
    }

    private static byte[] Gzip(byte[] bytes, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    // 6 MB: above the 4 MB from which conversion runs on a second thread, and several 1 MB chunks plus a part.
    private const int Images = 7000, Rows = 28, Columns = 32;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALargeFile_ReadsEveryByte(bool gzip)
    {
        var data = RandomBytes(Images * Rows * Columns, 1);
        var file = IdxBytes([Images, Rows, Columns], data);
        string path = temp.Write("big.idx", gzip ? Gzip(file) : file);
        var images = Idx.Read(path);
        Assert.Equal([Images, Rows, Columns], images.Shape.ToArray());
        var values = images.ToArray();
        for (int i = 0; i < data.Length; i++)
            if (values[i] != data[i]) Assert.Fail($"element {i}: {values[i]} != {data[i]}");
        Assert.Equal(data.Select(b => (long)b), Idx.Read(path, DType.Int64).ToArray<long>());
    }

    [Fact]
    public void AGzipFileThatCompressesBeyondTheUpFrontBound_ReadsThroughKeptChunks()
    {
        // Zeros compress about a thousand times: 8 MB of them decode to 32 MB of float32, more than 1024 times the
        // file, so the destination is made only after the data has proved its length. Same values either way.
        var data = new byte[8 << 20];
        data[12345] = 7;
        string path = temp.Write("zeros.idx.gz", Gzip(IdxBytes([data.Length], data), CompressionLevel.Optimal));
        Assert.True(new FileInfo(path).Length * 1024 < 4L * data.Length);
        var values = Idx.Read(path).ToArray();
        Assert.Equal(data.Length, values.Length);
        Assert.Equal(7, values[12345]);
        Assert.Equal(7, values.Sum());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALargeTruncatedFile_FailsWithTheSameOffsetOnEveryPath(bool gzip)
    {
        int promised = Images * Rows * Columns;
        var data = RandomBytes(promised - 1000, 2);
        string path = temp.Write("short.idx", gzip ? Gzip(IdxBytes([Images, Rows, Columns], data)) : IdxBytes([Images, Rows, Columns], data));
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Contains("the data is truncated", error.Message, StringComparison.Ordinal);
        Assert.Equal(16 + data.Length, error.Offset);
        Assert.Equal($"{data.Length} data bytes", error.Found);
    }

    [Fact]
    public void ALargeGzipFileWithExtraData_FailsAtTheEndOfTheData()
    {
        int promised = Images * Rows * Columns;
        string path = temp.Write("long.idx.gz", Gzip(IdxBytes([Images, Rows, Columns], RandomBytes(promised + 1, 3))));
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Contains("extra bytes after the data", error.Message, StringComparison.Ordinal);
        Assert.Equal(16 + promised, error.Offset);
    }

    [Fact]
    public void ALargeCorruptGzipFile_FailsAtAChunkBoundary()
    {
        var compressed = Gzip(IdxBytes([Images, Rows, Columns], RandomBytes(Images * Rows * Columns, 4)));
        // Random data is stored, not compressed: overwriting the middle breaks a stored block's length check or the CRC.
        for (int i = compressed.Length / 2; i < compressed.Length / 2 + 64; i++) compressed[i] ^= 0x5A;
        compressed[^5] ^= 0xFF;   // and the CRC, so the stream fails even if the middle decodes
        string path = temp.Write("corrupt.idx.gz", compressed);
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Equal(path, error.FilePath);
        Assert.NotNull(error.Offset);
        // Offsets count decompressed bytes read before the failing chunk: the header, then whole 1 MB chunks.
        Assert.Equal(0, (error.Offset!.Value - 16) % (1 << 20));
    }

    /// <summary>Writes the four MNIST files (gzip or raw) and returns the folder.</summary>
    private string WriteMnist(string name, int trainCount, int testCount, bool gzip, int rows = Rows, int columns = Columns,
        Action<byte[]>? editTrainLabels = null)
    {
        string folder = temp.File(name);
        Directory.CreateDirectory(folder);
        var random = new Random(trainCount);
        byte[] Labels(int n) => Enumerable.Range(0, n).Select(_ => (byte)random.Next(10)).ToArray();
        var trainLabels = Labels(trainCount);
        editTrainLabels?.Invoke(trainLabels);
        var files = new[]
        {
            IdxBytes([trainCount, rows, columns], RandomBytes(trainCount * rows * columns, 6)),
            IdxBytes([trainCount], trainLabels),
            IdxBytes([testCount, rows, columns], RandomBytes(testCount * rows * columns, 7)),
            IdxBytes([testCount], Labels(testCount)),
        };
        for (int i = 0; i < 4; i++)
            File.WriteAllBytes(Path.Combine(folder, Mnist.FileNames[i] + (gzip ? ".gz" : "")), gzip ? Gzip(files[i]) : files[i]);
        return folder;
    }

    [Theory]
    [InlineData(50, 0.1, false)]
    [InlineData(50, 0.0, true)]
    [InlineData(Images, 0.1, false)]
    [InlineData(Images, 0.25, true)]
    public void LoadSplit_IsLoadThenTrainValidation(int trainCount, double fraction, bool gzip)
    {
        string folder = WriteMnist($"mnist-{trainCount}-{gzip}", trainCount, 30, gzip);
        var (train, validation, test) = Mnist.LoadSplit(folder, fraction, new Generator(9));

        var (trainImages, trainLabels, testImages, testLabels) = Mnist.Load(folder);
        var (expectedTrain, expectedValidation) = DatasetSplit.TrainValidation(new TensorDataset(trainImages, trainLabels), fraction, new Generator(9));
        Assert.Equal(expectedTrain.Inputs.Shape.ToArray(), train.Inputs.Shape.ToArray());
        Assert.Equal(expectedTrain.Inputs.ToArray(), train.Inputs.ToArray());
        Assert.Equal(expectedTrain.Targets.ToArray<long>(), train.Targets.ToArray<long>());
        Assert.Equal(expectedValidation.Inputs.Shape.ToArray(), validation.Inputs.Shape.ToArray());
        Assert.Equal(expectedValidation.Inputs.ToArray(), validation.Inputs.ToArray());
        Assert.Equal(expectedValidation.Targets.ToArray<long>(), validation.Targets.ToArray<long>());
        Assert.Equal(testImages.ToArray(), test.Inputs.ToArray());
        Assert.Equal(testLabels.ToArray<long>(), test.Targets.ToArray<long>());
        Assert.Equal(DType.Float32, train.Inputs.DType);
        Assert.Equal(DType.Int64, train.Targets.DType);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadSplit_RowsLongerThanAReadChunk_AreSplitLikeLoad(bool gzip)
    {
        // 1100 x 1000 pixels: each row spans two or three 1 MB chunks.
        string folder = WriteMnist($"wide-{gzip}", 6, 2, gzip, rows: 1100, columns: 1000);
        var (train, validation, _) = Mnist.LoadSplit(folder, 0.34, new Generator(3));
        var (images, labels, _, _) = Mnist.Load(folder);
        var (expectedTrain, expectedValidation) = DatasetSplit.TrainValidation(new TensorDataset(images, labels), 0.34, new Generator(3));
        Assert.Equal(expectedTrain.Inputs.ToArray(), train.Inputs.ToArray());
        Assert.Equal(expectedValidation.Inputs.ToArray(), validation.Inputs.ToArray());
        Assert.Equal(2, validation.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadSplit_RejectsBrokenTrainingImagesLikeLoad(bool gzip)
    {
        string folder = WriteMnist($"broken-images-{gzip}", Images, 10, gzip);
        string path = Path.Combine(folder, Mnist.FileNames[0] + (gzip ? ".gz" : ""));
        var file = IdxBytes([Images, Rows, Columns], RandomBytes(Images * Rows * Columns - 5000, 8));
        foreach (var broken in new[] { file, IdxBytes([Images, Rows * Columns], RandomBytes(Images * Rows * Columns, 9)), IdxBytes([Images], new byte[Images], type: 0x0C) })
        {
            File.WriteAllBytes(path, gzip ? Gzip(broken) : broken);
            var expected = Assert.Throws<DataFormatException>(() => Mnist.Load(folder));
            var error = Assert.Throws<DataFormatException>(() => Mnist.LoadSplit(folder, 0.1, new Generator(1)));
            Assert.Equal(expected.Message, error.Message);
            Assert.Equal(expected.Offset, error.Offset);
        }
    }

    [Fact]
    public void LoadSplit_OfTheShippedDigits_IsLoadThenTrainValidation()
    {
        string folder = TempDirectory.RepositoryData("mnist-10k");
        var (train, validation, _) = Mnist.LoadSplit(folder, 0.1, new Generator(42));
        var (images, labels, _, _) = Mnist.Load(folder);
        var (expectedTrain, expectedValidation) = DatasetSplit.TrainValidation(new TensorDataset(images, labels), 0.1, new Generator(42));
        Assert.Equal(expectedTrain.Inputs.ToArray(), train.Inputs.ToArray());
        Assert.Equal(expectedValidation.Targets.ToArray<long>(), validation.Targets.ToArray<long>());
    }

    [Fact]
    public void LoadSplit_ChecksItsArgumentsBeforeReading()
    {
        string missing = temp.File("nowhere");
        Assert.Throws<ArgumentOutOfRangeException>(() => Mnist.LoadSplit(missing, 1.0, new Generator(1)));
        Assert.Throws<ArgumentNullException>(() => Mnist.LoadSplit(missing, 0.1, null!));
        Assert.Throws<DirectoryNotFoundException>(() => Mnist.LoadSplit(missing, 0.1, new Generator(1)));
    }

    [Theory]
    [InlineData(50)]
    [InlineData(Images)]
    public void BrokenTrainingAndTestFiles_ReportTheTrainingFileFirst_ReadInParallelOrNot(int trainCount)
    {
        // A label out of range in the training labels, and test images of another size: a sequential read meets the
        // training labels first, and so must the read that takes the test files on a second thread.
        string folder = WriteMnist($"broken-{trainCount}", trainCount, 20, gzip: false, editTrainLabels: labels => labels[^1] = 10);
        File.WriteAllBytes(Path.Combine(folder, Mnist.FileNames[2]), IdxBytes([20, 5, 5], new byte[500]));
        foreach (var load in new Action[] { () => Mnist.Load(folder), () => Mnist.LoadSplit(folder, 0.1, new Generator(1)) })
        {
            var error = Assert.Throws<DataFormatException>(load);
            Assert.Contains(Mnist.FileNames[1], error.FilePath, StringComparison.Ordinal);
            Assert.Contains($"label {trainCount - 1} is out of range", error.Message, StringComparison.Ordinal);
        }

        File.WriteAllBytes(Path.Combine(folder, Mnist.FileNames[1]), IdxBytes([trainCount], new byte[trainCount]));
        foreach (var load in new Action[] { () => Mnist.Load(folder), () => Mnist.LoadSplit(folder, 0.1, new Generator(1)) })
        {
            var error = Assert.Throws<DataFormatException>(load);
            Assert.Contains(Mnist.FileNames[2], error.FilePath, StringComparison.Ordinal);
            Assert.Equal($"{Rows} x {Columns} pixels", error.Expected);
        }
    }
}
