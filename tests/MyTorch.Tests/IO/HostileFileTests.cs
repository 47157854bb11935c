using System.Buffers.Binary;
using System.Text;
using MyTorch.IO;
using MyTorch.Tests.Fuzz;
using Xunit;

namespace MyTorch.Tests.IO;

/// <summary>
/// Named cases of hostile or broken files, one per check the readers make before allocating, including each kind of
/// failure the fuzz suite found (lone surrogate escapes in safetensors JSON, MNIST test images of another size).
/// </summary>
public sealed class HostileFileTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static byte[] Safetensors(string header, int dataBytes = 0)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        return file;
    }

    /// <summary>Reads the file, expecting a DataFormatException, and returns it with the bytes the read allocated.</summary>
    private static (DataFormatException Error, long Allocated) Reject(Action read)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<DataFormatException>(read);
        return (error, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("{\"\\uD800\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}")]
    [InlineData("{\"__metadata__\":{\"k\":\"\\uDC00\\uD800\"}}")]
    [InlineData("{\"__metadata__\":{\"\\uDBFF\":\"v\"}}")]
    public void Safetensors_LoneSurrogateEscapes_AreAFormatErrorNotAnInvalidOperation(string header)
    {
        string path = temp.Write("s.safetensors", Safetensors(header));
        var (error, _) = Reject(() => MyTorch.IO.Safetensors.Load(path));
        Assert.Contains("not valid text", error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Offset);
    }

    [Fact]
    public void Safetensors_AHundredByteFileClaimingGigabytes_AllocatesAlmostNothing()
    {
        string path = temp.Write("s.safetensors", Safetensors("{\"w\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647],\"data_offsets\":[0,8]}}", 8));
        var (error, allocated) = Reject(() => MyTorch.IO.Safetensors.Load(path));
        Assert.Contains("more elements than a tensor can hold", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Safetensors_MoreDimensionsThanTheLimit_IsAFormatError()
    {
        string shape = string.Join(',', Enumerable.Repeat("1", MyTorch.IO.Safetensors.MaxRank + 1));
        string path = temp.Write("s.safetensors", Safetensors($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[{shape}],\"data_offsets\":[0,4]}}}}", 4));
        var (error, _) = Reject(() => MyTorch.IO.Safetensors.Load(path));
        Assert.Contains("shape has too many values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Idx_AHeaderClaimingTwoBillionElements_AllocatesAlmostNothing()
    {
        var bytes = new byte[100];
        bytes[2] = 0x0E;
        bytes[3] = 2;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 46341);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 46340);
        string path = temp.Write("big.idx", bytes);
        var (error, allocated) = Reject(() => Idx.Read(path));
        Assert.Equal(100, error.Offset);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");

        string gzip = temp.Write("big.idx.gz", ReaderFuzzTargets.Gzip(bytes));
        (error, allocated) = Reject(() => Idx.Read(gzip));
        // 17 GB of float64: beyond the limit on decompressed bytes, so refused at the header.
        Assert.Contains("MaxDecompressedBytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, error.Offset);
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Mnist_NoImagesButSizesWhoseProductOverflows_IsAFormatError()
    {
        var files = ReaderFuzzTargets.MnistSeed(3, 2, 4, 4, gzip: false);
        // Test images: 0 images of 65536 x 65536 pixels, which is a valid IDX file of 16 bytes.
        var empty = new byte[16];
        empty[2] = 0x08;
        empty[3] = 3;
        BinaryPrimitives.WriteInt32BigEndian(empty.AsSpan(8), 65536);
        BinaryPrimitives.WriteInt32BigEndian(empty.AsSpan(12), 65536);
        files[2] = empty;
        var labels = new byte[8];
        labels[2] = 0x08;
        labels[3] = 1;
        files[3] = labels;
        string folder = WriteMnist(files);
        var (error, _) = Reject(() => Mnist.Load(folder));
        Assert.Contains("more pixels than a tensor row can hold", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mnist_TestImagesOfAnotherSize_IsAFormatErrorNamingBothFiles()
    {
        var files = ReaderFuzzTargets.MnistSeed(3, 2, 4, 4, gzip: false);
        files[2] = ReaderFuzzTargets.MnistSeed(3, 2, 5, 5, gzip: false)[2];
        string folder = WriteMnist(files);
        var (error, _) = Reject(() => Mnist.Load(folder));
        Assert.Contains("t10k-images-idx3-ubyte", error.FilePath, StringComparison.Ordinal);
        Assert.Contains("train-images-idx3-ubyte", error.Message, StringComparison.Ordinal);
        Assert.Equal("4 x 4 pixels", error.Expected);
        Assert.Equal("5 x 5", error.Found);
    }

    private string WriteMnist(List<byte[]> files)
    {
        string folder = temp.File("mnist");
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 4; i++) File.WriteAllBytes(Path.Combine(folder, Mnist.FileNames[i]), files[i]);
        return folder;
    }

    [Fact]
    public void Csv_AFileLargerThanTheLimit_IsRejectedBeforeReading()
    {
        string path = temp.File("huge.csv");
        using (var stream = File.Create(path)) stream.SetLength(Csv.MaxFileBytes + 1);   // sparse: no disk used
        var (error, allocated) = Reject(() => Csv.Read(path));
        Assert.Contains("too large", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void AtomicFile_AFailedWrite_NamesTheTargetAndKeepsThePreviousFile()
    {
        string path = temp.File("checkpoint.safetensors");
        AtomicFile.Write(path, stream => stream.Write("complete old version"u8));
        var error = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("half of the new"u8);
            throw new IOException("No space left on device : '/some/.checkpoint.safetensors.1234.tmp'");
        }));
        Assert.Contains($"Cannot write '{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Contains("previous version of the file, if any, is unchanged", error.Message, StringComparison.Ordinal);
        Assert.Equal("complete old version", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFileSystemEntries(temp.Path));
    }

    [Fact]
    public void AtomicFile_ADataFormatErrorFromTheCallback_IsNotRewrapped()
    {
        string path = temp.File("a.bin");
        var error = Assert.Throws<DataFormatException>(() => AtomicFile.Write(path, _ => throw new DataFormatException("source.idx", "bad")));
        Assert.Equal("source.idx", error.FilePath);
    }
}
