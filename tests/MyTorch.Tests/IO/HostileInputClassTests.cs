using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using MyTorch.IO;
using MyTorch.Tests.Fuzz;
using Xunit;

namespace MyTorch.Tests.IO;

/// <summary>
/// One test per class of hostile input that the readers must reject cleanly: decompression bombs, gzip files whose
/// trailer is missing or wrong, paths that are not regular files, and text from files that would reach a terminal
/// raw or at full length. Every input is made here, small, claiming more than the limits set.
/// </summary>
public sealed class HostileInputClassTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static byte[] IdxHeader(int type, params int[] shape)
    {
        var header = new byte[4 + 4 * shape.Length];
        header[2] = (byte)type;
        header[3] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++) BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), shape[i]);
        return header;
    }

    /// <summary>A gzip file of the header followed by <paramref name="zeros"/> zero bytes, written without holding them.</summary>
    private static byte[] GzipZeros(byte[] header, long zeros)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(header);
            var block = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= block.Length) gzip.Write(block, 0, (int)Math.Min(block.Length, left));
        }
        return output.ToArray();
    }

    private static void AssertCleanMessage(Exception error)
    {
        Assert.DoesNotContain(error.Message, c => MessageText.IsUnsafe(c) && !char.IsSurrogate(c));
        Assert.True(Encoding.UTF8.GetByteCount(error.Message) < 700, $"message of {error.Message.Length} characters");
    }

    // ---- decompression bombs ----

    [Fact]
    public void Mnist_ASmallGzipClaimingMillionsOfImages_IsRefusedAtItsHeader()
    {
        // 2.7 million 28x28 images claimed, 4 MB of them really there (they compress to a few KB): the label count,
        // read first, refuses the claim before any image is decompressed.
        var files = ReaderFuzzTargets.MnistSeed(10, 2, 28, 28, gzip: true);
        files[0] = GzipZeros(IdxHeader(8, 2_700_000, 28, 28), 4 << 20);
        string folder = WriteMnist(files);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<DataFormatException>(() => Mnist.Load(folder));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20, "the reader decompressed the images");
        Assert.Contains("the label count does not match the 2700000 images", error.Message, StringComparison.Ordinal);
        AssertCleanMessage(error);
    }

    [Fact]
    public void Idx_AHeaderPromisingMoreThanTheLimit_IsRefusedBeforeReading()
    {
        string path = temp.Write("bomb.idx.gz", GzipZeros(IdxHeader(8, 3000, 1000), 3_000_000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<DataFormatException>(() => Idx.ReadWithHeader(path, DType.Float32, maxDecompressedBytes: 1 << 20));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the reader decompressed the data");
        Assert.Contains("MaxDecompressedBytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, error.Offset);
        // The same file within a larger limit is read.
        Assert.Equal([3000, 1000], Idx.ReadWithHeader(path, DType.Float32, maxDecompressedBytes: 4 << 20).Tensor.Shape.ToArray());
    }

    [Fact]
    public void MaxDecompressedBytes_RejectsNegativeValues() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Idx.MaxDecompressedBytes = -1);

    // ---- gzip integrity ----

    private static byte[] ValidGzipIdx(int count = 64) =>
        ReaderFuzzTargets.Gzip([.. IdxHeader(8, count), .. Enumerable.Range(0, count).Select(i => (byte)(i * 7))]);

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    [InlineData(1)]
    public void Gzip_ATrailerCutOff_IsRejected(int cut)
    {
        var file = ValidGzipIdx();
        string path = temp.Write("cut.idx.gz", file[..^cut]);
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(path));
        Assert.Contains("gzip", error.Message, StringComparison.Ordinal);
        AssertCleanMessage(error);
    }

    [Fact]
    public void Gzip_AFlippedByteAndNoTrailer_IsRejectedNotRead()
    {
        // Stored (uncompressed) deflate blocks, so a flipped data byte still decompresses: only the CRC can tell.
        var data = new byte[300];
        new Random(3).NextBytes(data);
        byte[] file;
        using (var output = new MemoryStream())
        {
            using (var gzip = new GZipStream(output, CompressionLevel.NoCompression, leaveOpen: true)) gzip.Write([.. IdxHeader(8, 300), .. data]);
            file = output.ToArray();
        }
        file[^20] ^= 0x01;
        string flipped = temp.Write("flipped.idx.gz", file);
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(flipped));
        Assert.Contains("CRC32 check failed", error.Message, StringComparison.Ordinal);
        string cut = temp.Write("flipped-cut.idx.gz", file[..^8]);
        Assert.Throws<DataFormatException>(() => Idx.Read(cut));
    }

    [Fact]
    public void Gzip_AWrongCrcOrLength_IsReportedAsSuch()
    {
        var file = ValidGzipIdx();
        file[^8] ^= 0xFF;
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(temp.Write("crc.idx.gz", file)));
        Assert.Contains("CRC32 check failed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("unsupported compression method", error.Message, StringComparison.Ordinal);

        file = ValidGzipIdx();
        file[^1] ^= 0x01;
        error = Assert.Throws<DataFormatException>(() => Idx.Read(temp.Write("length.idx.gz", file)));
        Assert.Contains("length check failed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gzip_ConcatenatedMembers_AreRefusedSayingSo()
    {
        var whole = ReaderFuzzTargets.Gzip([.. IdxHeader(8, 4), 1, 2, 3, 4]);
        var first = ReaderFuzzTargets.Gzip([.. IdxHeader(8, 4), 1, 2]);
        var second = ReaderFuzzTargets.Gzip([3, 4]);
        Assert.Equal([1.0f, 2, 3, 4], Idx.Read(temp.Write("whole.idx.gz", whole)).ToArray());
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(temp.Write("two.idx.gz", [.. first, .. second])));
        Assert.Contains("a second gzip member", error.Message, StringComparison.Ordinal);
        // The same member twice: each part checks out alone, so only the data after the first shows it.
        error = Assert.Throws<DataFormatException>(() => Idx.Read(temp.Write("twice.idx.gz", [.. whole, .. whole])));
        Assert.Contains("a second gzip member", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gzip_OptionalHeaderFields_AreSkipped()
    {
        var file = ValidGzipIdx(5).ToList();
        // FLG: FNAME and FCOMMENT, each a zero-terminated string after the 10 fixed bytes.
        file[3] = 8 | 16;
        file.InsertRange(10, Encoding.ASCII.GetBytes("name\0comment\0"));
        Assert.Equal(5, Idx.Read(temp.Write("named.idx.gz", [.. file])).Count);
    }

    [Fact]
    public void Gzip_AnotherCompressionMethod_IsNamed()
    {
        var file = ValidGzipIdx();
        file[2] = 7;
        var error = Assert.Throws<DataFormatException>(() => Idx.Read(temp.Write("method.idx.gz", file)));
        Assert.Contains("unsupported gzip compression method", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Offset);
    }

    // ---- paths that are not regular files ----

    public static TheoryData<string> Readers() => ["idx", "csv", "safetensors", "mnist"];

    private static void ReadWith(string reader, string path)
    {
        switch (reader)
        {
            case "idx": Idx.Read(path); break;
            case "csv": Csv.Read(path); break;
            case "safetensors": MyTorch.IO.Safetensors.Load(path); break;
            default: throw new ArgumentException(reader);
        }
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void ADirectory_IsRefusedAsNotARegularFile(string reader)
    {
        string directory = temp.File("a-directory.csv");
        Directory.CreateDirectory(directory);
        if (reader == "mnist")
        {
            string folder = WriteMnist(ReaderFuzzTargets.MnistSeed(2, 1, 2, 2, gzip: false));
            File.Delete(Path.Combine(folder, Mnist.FileNames[1]));
            Directory.CreateDirectory(Path.Combine(folder, Mnist.FileNames[1] + ".gz"));
            // A directory of that name is not the file: the message says the file is missing.
            Assert.Throws<FileNotFoundException>(() => Mnist.Load(folder));
            return;
        }
        var error = Assert.Throws<DataFormatException>(() => ReadWith(reader, directory));
        Assert.Contains("is a directory, not a regular file", error.Message, StringComparison.Ordinal);
        Assert.Contains(directory, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void ASymlinkToDevZero_IsRefusedBeforeReading(string reader)
    {
        if (!OperatingSystem.IsLinux()) return;
        string link = temp.File("zero-link");
        File.CreateSymbolicLink(link, "/dev/zero");
        if (reader == "mnist")
        {
            string folder = WriteMnist(ReaderFuzzTargets.MnistSeed(2, 1, 2, 2, gzip: false));
            string labels = Path.Combine(folder, Mnist.FileNames[3]);
            File.Delete(labels);
            File.CreateSymbolicLink(labels, "/dev/zero");
            var mnistError = Assert.Throws<DataFormatException>(() => Mnist.Load(folder));
            Assert.Contains("character device", mnistError.Message, StringComparison.Ordinal);
            return;
        }
        var error = Assert.Throws<DataFormatException>(() => ReadWith(reader, link));
        Assert.Contains("is a character device, not a regular file", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public void AFifo_IsRefusedWithoutWaitingForAWriter(string reader)
    {
        if (!OperatingSystem.IsLinux() || reader == "mnist") return;
        string fifo = temp.File("pipe");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [fifo]) { UseShellExecute = false })!)
        {
            mkfifo.WaitForExit();
            if (mkfifo.ExitCode != 0) return;
        }
        var error = Assert.Throws<DataFormatException>(() => ReadWith(reader, fifo));
        Assert.Contains("FIFO", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ADanglingSymlink_IsFileNotFound()
    {
        string link = temp.File("dangling.csv");
        File.CreateSymbolicLink(link, temp.File("nowhere.csv"));
        Assert.Throws<FileNotFoundException>(() => Csv.Read(link));
    }

    // ---- control characters and long text from files ----

    private static byte[] SafetensorsFile(string header)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        return file;
    }

    [Theory]
    [InlineData("\\u001b[31mred\\u001b[0m")]
    [InlineData("a\\nerror: forged line")]
    [InlineData("nul\\u0000byte")]
    [InlineData("bidi\\u202eevil")]
    [InlineData("c1\\u009b2J")]
    public void Safetensors_ControlCharactersInNamesAndDTypes_AreEscaped(string name)
    {
        string path = temp.Write("names.safetensors", SafetensorsFile($"{{\"{name}\":{{\"dtype\":\"{name}\",\"shape\":[1],\"data_offsets\":[0,4]}}}}"));
        var error = Assert.Throws<DataFormatException>(() => MyTorch.IO.Safetensors.Load(path));
        AssertCleanMessage(error);
        Assert.Contains("\\", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Safetensors_AMegabyteNameOrShapeToken_IsShortenedSayingHowMuchWasLeftOut()
    {
        string name = new('n', 1 << 20);
        var error = Assert.Throws<DataFormatException>(() => MyTorch.IO.Safetensors.Load(temp.Write("long-name.safetensors",
            SafetensorsFile($"{{\"{name}\":{{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}}}"))));
        AssertCleanMessage(error);
        Assert.Contains($"... ({(1 << 20) - MessageText.DefaultMaxLength} more characters)", error.Message, StringComparison.Ordinal);

        string token = "1" + new string('0', 1 << 20);
        error = Assert.Throws<DataFormatException>(() => MyTorch.IO.Safetensors.Load(temp.Write("long-shape.safetensors",
            SafetensorsFile($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[{token}],\"data_offsets\":[0,4]}}}}"))));
        AssertCleanMessage(error);
        Assert.Contains("more characters)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_ControlCharactersInColumnNamesAndCells_AreEscaped()
    {
        string path = temp.Write("bad.csv", "\"x\u001b[2J\",\"y\nerror: forged\"\n1,\u001b]0;title\u0007\n");
        var error = Assert.Throws<DataFormatException>(() => Csv.Read(path));
        AssertCleanMessage(error);
        Assert.Contains("\\x1B]0;title\\x07", error.Message, StringComparison.Ordinal);
        Assert.Contains("y\\nerror: forged", error.Message, StringComparison.Ordinal);

        var table = Csv.Read(temp.Write("names.csv", "\"a\u0000\",b\n1,2\n"));
        var unknown = Assert.Throws<ArgumentException>(() => table.Columns("c\u001b"));
        AssertCleanMessage(unknown);
    }

    [Fact]
    public void CsvTable_AnUnknownColumn_ListsAFewColumnsAndHowManyMore()
    {
        var header = Enumerable.Range(0, 784).Select(i => $"pixel{i}").ToArray();
        var table = new CsvTable(header, new double[784]);
        var error = Assert.Throws<ArgumentException>(() => table.Columns("label"));
        Assert.Contains("and 776 more", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 300, error.Message);
    }

    [Fact]
    public void MessageText_EscapesEveryControlCharacterAndCutsLongText()
    {
        Assert.Equal("a\\nb\\r\\t\\0\\x1B\\x7F\\x85\\u202E\\u2028", MessageText.Clean("a\nb\r\t\0\u001b\u007f\u0085\u202e\u2028"));
        Assert.Equal("abc... (3 more characters)", MessageText.Clean("abcdef", 3));
        Assert.Equal("plain ünïcødé 😀", MessageText.Clean("plain ünïcødé 😀"));
        Assert.Equal("\\uD800x", MessageText.Clean("\ud800x"));
        string line = MessageText.OneLine(new string('é', 1000) + "\n", 500);
        Assert.True(Encoding.UTF8.GetByteCount(line) <= 500);
        Assert.EndsWith("more characters)", line, StringComparison.Ordinal);
        Assert.Equal("'a', 'b' and 1 more", MessageText.List(["a", "b", "c"], 2));
    }

    [Fact]
    public void DataFormatException_CleansEveryPart()
    {
        var error = new DataFormatException("f\n.csv", "bad \u001b", row: 2, column: "c\0", expected: "x\r", found: "y\u0007");
        Assert.Equal("f\\n.csv: row 2, column 'c\\0': bad \\x1B (expected x\\r, found y\\x07).", error.Message);
        Assert.Equal("c\0", error.Column);
    }

    // ---- messages that say what was given and what was expected ----

    [Fact]
    public void Mnist_ImagesWithNoPixels_SayWhatTheSizesAre()
    {
        var files = ReaderFuzzTargets.MnistSeed(3, 2, 4, 4, gzip: false);
        files[0] = IdxHeader(8, 3, 0, 28);
        var error = Assert.Throws<DataFormatException>(() => Mnist.Load(WriteMnist(files)));
        Assert.Contains("the images have no pixels", error.Message, StringComparison.Ordinal);
        Assert.Contains("0 x 28", error.Message, StringComparison.Ordinal);
    }

    private string WriteMnist(List<byte[]> files)
    {
        string folder = temp.File("mnist-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 4; i++)
        {
            bool gzip = files[i].Length >= 2 && files[i][0] == 0x1F && files[i][1] == 0x8B;
            File.WriteAllBytes(Path.Combine(folder, Mnist.FileNames[i] + (gzip ? ".gz" : "")), files[i]);
        }
        return folder;
    }
}
