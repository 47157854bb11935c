using System.IO.Compression;
using MyTorch.IO;
using Xunit;

namespace MyTorch.Tests.IO;

public sealed class IdxTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    public static TheoryData<IdxType, bool> AllTypes()
    {
        var data = new TheoryData<IdxType, bool>();
        foreach (var type in Enum.GetValues<IdxType>())
        {
            data.Add(type, false);
            data.Add(type, true);
        }
        return data;
    }

    private static double[] SampleValues(IdxType type) => type switch
    {
        IdxType.UByte => [0, 1, 127, 128, 254, 255],
        IdxType.SByte => [-128, -1, 0, 1, 100, 127],
        IdxType.Int16 => [short.MinValue, -300, 0, 1, 300, short.MaxValue],
        IdxType.Int32 => [int.MinValue, -70000, 0, 1, 70000, int.MaxValue],
        IdxType.Float32 => [-3.5, 0, 1e-30f, 0.1f, float.MaxValue, float.Epsilon],
        _ => [-3.5, 0, 1e-300, 0.1, double.MaxValue, double.Epsilon],
    };

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void WriteThenRead_RoundTripsEveryType(IdxType type, bool gzip)
    {
        string path = temp.File("t.idx");
        var values = SampleValues(type);
        Idx.Write(path, Tensor.FromArray(values, [2, 3]), type, gzip);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(gzip, bytes[0] == 0x1F && bytes[1] == 0x8B);
        var read = Idx.Read(path, DType.Float64);
        Assert.Equal([2, 3], read.Shape.ToArray());
        Assert.Equal(DType.Float64, read.DType);
        Assert.Equal(values, read.ToArray<double>());
    }

    [Fact]
    public void Write_ProducesTheStandardBigEndianLayout()
    {
        string path = temp.File("t.idx");
        Idx.Write(path, Tensor.FromArray(new double[] { 1, 258 }, [1, 2]), IdxType.Int32);
        byte[] expected = [0, 0, 0x0C, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 2];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Read_ConvertsToTheRequestedDType()
    {
        string path = temp.Write("labels", [0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9]);
        var labels = Idx.Read(path, DType.Int64);
        Assert.Equal(DType.Int64, labels.DType);
        Assert.Equal(new long[] { 7, 0, 9 }, labels.ToArray<long>());
        var asFloat = Idx.Read(path);
        Assert.Equal(DType.Float32, asFloat.DType);
        Assert.Equal(new float[] { 7, 0, 9 }, asFloat.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_HandlesEmptyAndScalarShapes(bool gzip)
    {
        string empty = temp.File("empty.idx");
        Idx.Write(empty, Tensor.Zeros([0, 28, 28]), IdxType.UByte, gzip);
        Assert.Equal([0, 28, 28], Idx.Read(empty).Shape.ToArray());

        string scalar = temp.File("scalar.idx");
        Idx.Write(scalar, Tensor.Scalar(42), IdxType.Int16, gzip);
        var read = Idx.Read(scalar);
        Assert.Equal(0, read.Rank);
        Assert.Equal(42, read.Item());
    }

    [Fact]
    public void Read_DetectsGzipByContentNotName()
    {
        string gzipNamedRaw = temp.File("images.idx");
        string rawNamedGz = temp.File("images.idx.gz");
        var tensor = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]);
        Idx.Write(gzipNamedRaw, tensor, IdxType.UByte, gzip: true);
        Idx.Write(rawNamedGz, tensor, IdxType.UByte, gzip: false);
        Assert.Equal(tensor.ToArray(), Idx.Read(gzipNamedRaw).ToArray());
        Assert.Equal(tensor.ToArray(), Idx.Read(rawNamedGz).ToArray());
    }

    [Fact]
    public void Read_LargeUByteFileUsesChunksCorrectly()
    {
        // Spans several 1 MiB chunks with a partial last one.
        int n = 3 * (1 << 20) + 12345;
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (i * 7) % 256;
        foreach (bool gzip in new[] { false, true })
        {
            string path = temp.File($"big{gzip}.idx");
            Idx.Write(path, Tensor.FromArray(values), IdxType.UByte, gzip);
            Assert.Equal(values, Idx.Read(path).ToArray());
        }
    }

    [Fact]
    public void Write_RejectsValuesTheTypeCannotHold()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Idx.Write(temp.File("x.idx"), Tensor.FromArray(new float[] { 1, 256 }), IdxType.UByte));
        Assert.Contains("element 1", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Idx.Write(temp.File("x.idx"), Tensor.FromArray(new float[] { 1.5f }), IdxType.Int32));
        Assert.Throws<ArgumentException>(() => Idx.Write(temp.File("x.idx"), Tensor.FromArray(new float[] { float.NaN }), IdxType.SByte));
        Assert.False(File.Exists(temp.File("x.idx")));
    }

    // ---- malformed files ------------------------------------------------------------------------

    private DataFormatException ReadFails(byte[] bytes, bool gzip = false)
    {
        string path = temp.Write("bad.idx", gzip ? Gzip(bytes) : bytes);
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        return error;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    private static byte[] Header(byte type, params int[] sizes)
    {
        var header = new byte[4 + 4 * sizes.Length];
        header[2] = type;
        header[3] = (byte)sizes.Length;
        for (int i = 0; i < sizes.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), sizes[i]);
        return header;
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 8, 1, 0, 0, 0, 0 }, 0)]
    [InlineData(new byte[] { 0, 1, 8, 1, 0, 0, 0, 0 }, 1)]
    [InlineData(new byte[] { 0x50, 0x4B, 3, 4, 0, 0, 0, 0 }, 0)]
    public void WrongMagic_ReportsTheOffset(byte[] bytes, long offset)
    {
        var error = ReadFails(bytes);
        Assert.Equal(offset, error.Offset);
        Assert.Contains("0x00 0x00", error.Expected, StringComparison.Ordinal);
        Assert.Contains("not an IDX file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownType_ReportsOffset2()
    {
        var error = ReadFails([0, 0, 0x07, 1, 0, 0, 0, 0]);
        Assert.Equal(2, error.Offset);
        Assert.Equal("0x07", error.Found);
    }

    [Fact]
    public void TooManyDimensions_ReportsOffset3()
    {
        var error = ReadFails([0, 0, 8, 200, 0, 0, 0, 0]);
        Assert.Equal(3, error.Offset);
        Assert.Equal("200", error.Found);
    }

    [Fact]
    public void TruncatedHeader_ReportsWhereTheFileEnds()
    {
        Assert.Equal(2, ReadFails([0, 0]).Offset);
        Assert.Equal(0, ReadFails([]).Offset);
        var error = ReadFails([0, 0, 8, 2, 0, 0, 0, 5, 0]);
        Assert.Equal(9, error.Offset);
        Assert.Contains("dimension sizes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NegativeSize_ReportsItsOffset()
    {
        var error = ReadFails(Header(8, 2, -1));
        Assert.Equal(8, error.Offset);
        Assert.Equal("-1", error.Found);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedPayload_ReportsOffsetAndCounts(bool gzip)
    {
        var bytes = Header(8, 10).Concat(new byte[7]).ToArray();
        var error = ReadFails(bytes, gzip);
        Assert.Equal(15, error.Offset);
        Assert.Contains("10 data bytes", error.Expected, StringComparison.Ordinal);
        Assert.Equal("7 data bytes", error.Found);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Equal(gzip, error.Message.Contains("decompressed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExtraBytes_ReportTheOffsetWhereDataShouldEnd(bool gzip)
    {
        var bytes = Header(0x0D, 2).Concat(new byte[8 + 3]).ToArray();
        var error = ReadFails(bytes, gzip);
        Assert.Equal(16, error.Offset);
        Assert.Contains("extra bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { int.MaxValue, int.MaxValue }, 4)]
    [InlineData(new[] { int.MaxValue, int.MaxValue, int.MaxValue }, 4)]
    [InlineData(new[] { int.MaxValue, int.MaxValue, 0 }, 4)]
    [InlineData(new[] { 65536, 65536 }, 8)]
    [InlineData(new[] { 1, 2, 1 << 30, 4 }, 12)]
    public void DimensionProductOverflow_FailsWithoutAllocating(int[] sizes, long offset)
    {
        foreach (byte type in new byte[] { 0x08, 0x0E })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var error = ReadFails(Header(type, sizes));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "the reader allocated for a bogus size");
            Assert.Equal(offset, error.Offset);
            Assert.Contains("more elements than a tensor can hold", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void LeadingZeroSizedDimension_MakesLaterSizesHarmless()
    {
        string path = temp.Write("z.idx", Header(8, 0, int.MaxValue, int.MaxValue));
        Assert.Equal([0, int.MaxValue, int.MaxValue], Idx.Read(path).Shape.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HugeClaimedSizeWithLittleData_IsTruncatedNotAnAllocation(bool gzip)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        // 2 GB raw, 512 MB gzip (within the limit on decompressed bytes, far beyond what 100 bytes can inflate to).
        var error = ReadFails(Header(0x0E, gzip ? 1 << 26 : 1 << 28).Concat(new byte[100]).ToArray(), gzip);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20, "the reader allocated for the claimed size");
        Assert.Equal(108, error.Offset);
    }

    [Fact]
    public void GzipBomb_StopsReadingAfterOneByteTooMany()
    {
        // 64 MiB of zeros behind a header that promises 100 bytes: the reader must stop at byte 101.
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Header(8, 100));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++) gzip.Write(zeros);
        }
        string path = temp.Write("bomb.idx.gz", compressed.ToArray());

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "the reader inflated the bomb");
        Assert.Equal(108, error.Offset);
        Assert.Contains("extra bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptGzip_IsADataFormatException()
    {
        var good = Gzip(Header(8, 1000).Concat(Enumerable.Range(0, 1000).Select(i => (byte)(i * 31))).ToArray());
        var corrupt = (byte[])good.Clone();
        for (int i = 12; i < corrupt.Length - 8; i++) corrupt[i] ^= 0x5A;
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(temp.Write("corrupt.gz", corrupt)));
        Assert.NotNull(error.Offset);

        var cut = good[..(good.Length / 2)];
        Assert.Throws<DataFormatException>(() => Idx.Read(temp.Write("cut.gz", cut)));
    }

    [Fact]
    public void DataFormatException_IsAnIOException()
    {
        var error = ReadFails([9, 9, 9, 9]);
        Assert.IsAssignableFrom<IOException>(error);
        Assert.Matches(@"bad\.idx: byte offset 0: not an IDX file \(expected magic bytes 0x00 0x00, found 0x09 0x09\)\.$", error.Message);
    }
}
