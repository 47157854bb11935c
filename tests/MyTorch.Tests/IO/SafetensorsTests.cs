using System.Buffers.Binary;
using System.Text.Json;
using System.Text;
using MyTorch.IO;
using MyTorch.NN;
using Xunit;

namespace MyTorch.Tests.IO;

public sealed class SafetensorsTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    private static StateDict Sample()
    {
        var dict = new StateDict
        {
            { "fc2.weight", Tensor.FromArray(new float[] { 1.5f, -2, float.MaxValue, float.Epsilon, 0, -0f }, [2, 3]) },
            { "fc1.bias", Tensor.FromArray(new double[] { Math.PI, -1e-300 }) },
            { "steps", Tensor.FromArray(new long[] { long.MinValue, 0, long.MaxValue }) },
            { "scalar", Tensor.Scalar(7, DType.Float64) },
            { "empty", Tensor.Zeros([0]) },
            { "empty2d", Tensor.Zeros([2, 0, 3], DType.Int64) },
            { "after.empty", Tensor.FromArray(new float[] { 9 }) },
        };
        dict.Metadata["lr"] = "0.001";
        dict.Metadata["note"] = "ünïcødé, \"quoted\" <tag>";
        return dict;
    }

    [Fact]
    public void SaveThenLoad_RoundTripsTensorsOrderAndMetadata()
    {
        string path = temp.File("model.safetensors");
        var saved = Sample();
        Safetensors.Save(path, saved);
        var loaded = Safetensors.Load(path);

        Assert.Equal(saved.Keys, loaded.Keys);
        foreach (var (name, tensor) in saved)
        {
            var other = loaded[name];
            Assert.Equal(tensor.DType, other.DType);
            Assert.Equal(tensor.Shape.ToArray(), other.Shape.ToArray());
            Assert.Equal(tensor.ToArray<double>(), other.ToArray<double>());
        }
        Assert.Equal(new long[] { long.MinValue, 0, long.MaxValue }, loaded["steps"].ToArray<long>());
        Assert.Equal(0, loaded["scalar"].Rank);
        Assert.Equal(saved.Metadata, loaded.Metadata);
    }

    [Fact]
    public void Save_AlignsEveryTensorToItsElementSize()
    {
        string path = temp.File("model.safetensors");
        Safetensors.Save(path, Sample());
        byte[] bytes = File.ReadAllBytes(path);
        long dataStart = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var json = JsonDocument.Parse(bytes.AsMemory(8, (int)dataStart - 8));
        foreach (var entry in json.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__"))
        {
            long begin = entry.Value.GetProperty("data_offsets")[0].GetInt64();
            int size = entry.Value.GetProperty("dtype").GetString() == "F32" ? 4 : 8;
            Assert.Equal(0, (dataStart + begin) % size);
        }
    }

    [Fact]
    public void Save_WritesTheStandardLayout()
    {
        string path = temp.File("model.safetensors");
        var dict = new StateDict { { "b", Tensor.FromArray(new float[] { 1, 2 }) }, { "a", Tensor.FromArray(new long[] { 3 }) } };
        dict.Metadata["format"] = "pt";
        Safetensors.Save(path, dict);

        byte[] bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        Assert.Equal(8 + n + 8 + 8, bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"format\":\"pt\"},\"b\":", header, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(header);
        var b = json.RootElement.GetProperty("b");
        Assert.Equal("F32", b.GetProperty("dtype").GetString());
        Assert.Equal([2], b.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        // 8-byte dtypes are laid out first so every tensor is aligned to its element size.
        Assert.Equal([8L, 16L], b.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal([0L, 8L], json.RootElement.GetProperty("a").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("I64", json.RootElement.GetProperty("a").GetProperty("dtype").GetString());
        byte[] data = bytes[(int)(8 + n)..];
        Assert.Equal([3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40], data);
        Assert.Equal(["b", "a"], Safetensors.Load(path).Keys);
    }

    private static byte[] Build(string header, byte[]? data = null, long? declaredLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + (data?.Length ?? 0)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(declaredLength ?? json.Length));
        json.CopyTo(bytes, 8);
        data?.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    [Fact]
    public void Load_ReadsAFileWrittenByAnotherWriter()
    {
        // Unpadded, data laid out in a different order from the keys, an unknown extra field.
        var data = new byte[24];
        BinaryPrimitives.WriteDoubleLittleEndian(data, 2.5);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(8), -1f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(12), 4f);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(16), 42);
        string header = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]},"b":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"c":{"dtype":"I64","shape":[1],"data_offsets":[16,24],"extra":[1,{"x":2}]}}""";
        var loaded = Safetensors.Load(temp.Write("ref.safetensors", Build(header, data)));
        Assert.Equal(["a", "b", "c"], loaded.Keys);
        Assert.Equal(2.5, loaded["b"].Item());
        Assert.Equal(new float[] { -1, 4 }, loaded["a"].ToArray());
        Assert.Equal([1, 2], loaded["a"].Shape.ToArray());
        Assert.Equal(42, loaded["c"].Item());
        Assert.Equal("pt", loaded.Metadata["format"]);
    }

    [Fact]
    public void Save_RejectsATensorNamedMetadata()
    {
        var dict = new StateDict { { "__metadata__", Tensor.Zeros([1]) } };
        Assert.Throws<ArgumentException>(() => Safetensors.Save(temp.File("x.safetensors"), dict));
        Assert.False(File.Exists(temp.File("x.safetensors")));
    }

    // ---- malformed files ------------------------------------------------------------------------

    private DataFormatException Fails(byte[] bytes)
    {
        string path = temp.Write("bad.safetensors", bytes);
        var error = Assert.Throws<DataFormatException>(() => Safetensors.Load(path));
        Assert.Equal(path, error.FilePath);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.Offset);
        return error;
    }

    private const string TwoF32 = "\"dtype\":\"F32\",\"shape\":[2]";

    [Fact]
    public void TooShortFile_IsRejected()
    {
        var error = Fails([1, 0, 0]);
        Assert.Equal(3, error.Offset);
    }

    [Theory]
    [InlineData(1000L)]
    [InlineData(long.MaxValue)]
    [InlineData(-1L)]
    public void HeaderLengthLargerThanTheFile_IsRejectedBeforeAllocating(long declared)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Fails(Build("{}", declaredLength: declared));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal(0, error.Offset);
        Assert.Contains("larger than the file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderLengthOverTheCap_IsRejected()
    {
        string path = temp.File("huge.safetensors");
        using (var file = File.Create(path))
        {
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, 100_000_008);
            file.Write(length);
            file.SetLength(100_000_100); // sparse: cheap to create
        }
        var error = Assert.Throws<DataFormatException>(() => Safetensors.Load(path));
        Assert.Equal(0, error.Offset);
        Assert.Contains("100 MB", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\": ")]
    [InlineData("{\"a\": {\"dtype\": \"F32\",}}")]
    [InlineData("{'a': 1}")]
    [InlineData("")]
    [InlineData("{} x")]
    [InlineData("{}{}")]
    public void MalformedJson_IsADataFormatException(string header)
    {
        var error = Fails(Build(header));
        Assert.InRange(error.Offset!.Value, 8, 8 + header.Length);
    }

    [Fact]
    public void NonObjectHeader_IsRejected()
    {
        var error = Fails(Build("[1, 2]"));
        Assert.Equal(8, error.Offset);
        Assert.Contains("not a JSON object", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidUtf8_ReportsTheByte()
    {
        var bytes = Build("{\"ab\":{}}");
        bytes[8 + 3] = 0xFF;
        var error = Fails(bytes);
        Assert.Equal(11, error.Offset);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OverlappingOffsets_AreRejected()
    {
        string header = $$$"""{"a":{{{{TwoF32}}},"data_offsets":[0,8]},"b":{{{{TwoF32}}},"data_offsets":[4,12]}}""";
        var error = Fails(Build(header, new byte[12]));
        Assert.Contains("'b'", error.Message, StringComparison.Ordinal);
        Assert.Contains("overlaps tensor 'a'", error.Message, StringComparison.Ordinal);
        Assert.Equal(8 + header.Length + 4, error.Offset);
    }

    [Fact]
    public void GapsAndUncoveredBytes_AreRejected()
    {
        string gap = $$$"""{"a":{{{{TwoF32}}},"data_offsets":[0,8]},"b":{{{{TwoF32}}},"data_offsets":[12,20]}}""";
        var error = Fails(Build(gap, new byte[20]));
        Assert.Contains("belong to no tensor", error.Message, StringComparison.Ordinal);
        Assert.Equal(8 + gap.Length + 8, error.Offset);

        string one = $$$"""{"a":{{{{TwoF32}}},"data_offsets":[0,8]}}""";
        error = Fails(Build(one, new byte[10]));
        Assert.Equal(8 + one.Length + 8, error.Offset);
        Assert.Equal("2 more bytes", error.Found);
    }

    [Fact]
    public void ShapeAndOffsetsDisagree_IsRejected()
    {
        string header = """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""";
        var error = Fails(Build(header, new byte[8]));
        Assert.Equal("12 bytes", error.Expected);
        Assert.Equal("8 bytes", error.Found);
        Assert.Equal(9, error.Offset); // where "w" starts in the file
        Assert.Contains("tensor 'w'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[2147483647,2147483647]")]
    [InlineData("[2147483647,2147483647,2147483647,2147483647]")]
    [InlineData("[65536,65536]")]
    [InlineData("[2147483647,2147483647,0]")]
    public void HugeShape_FailsWithoutAllocating(string shape)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Fails(Build($$$"""{"w":{"dtype":"F64","shape":{{{shape}}},"data_offsets":[0,8]}}""", new byte[8]));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains("more elements than a tensor can hold", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"shape\":[-1]", "invalid value")]
    [InlineData("\"shape\":[1.5]", "invalid value")]
    [InlineData("\"shape\":[2147483648]", "invalid value")]
    [InlineData("\"shape\":\"2\"", "not an array")]
    [InlineData("\"shape\":[2],\"data_offsets\":[0,8,9]", "too many values")]
    [InlineData("\"shape\":[2],\"data_offsets\":[0]", "[begin, end]")]
    [InlineData("\"shape\":[2],\"data_offsets\":[8,0]", "outside")]
    [InlineData("\"shape\":[2],\"data_offsets\":[0,16]", "outside")]
    [InlineData("\"shape\":[2],\"data_offsets\":[0,99999999999999999999]", "invalid value")]
    [InlineData("\"data_offsets\":[0,8]", "lacks shape")]
    public void InvalidEntries_AreRejected(string fields, string problem)
    {
        bool hasOffsets = fields.Contains("data_offsets", StringComparison.Ordinal);
        string entry = "\"dtype\":\"F32\"," + fields + (hasOffsets ? "" : ",\"data_offsets\":[0,8]");
        var error = Fails(Build("{\"w\":{" + entry + "}}", new byte[8]));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains("'w'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    [InlineData("I32")]
    [InlineData("U8")]
    [InlineData("BOOL")]
    public void UnsupportedDType_IsNamed(string dtype)
    {
        var error = Fails(Build($$$"""{"w":{"dtype":"{{{dtype}}}","shape":[4],"data_offsets":[0,8]}}""", new byte[8]));
        Assert.Equal(dtype, error.Found);
        Assert.Contains($"dtype {dtype}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateNamesAndBadMetadata_AreRejected()
    {
        string twice = $$$"""{"w":{{{{TwoF32}}},"data_offsets":[0,8]},"w":{{{{TwoF32}}},"data_offsets":[0,8]}}""";
        Assert.Contains("twice", Fails(Build(twice, new byte[8])).Message, StringComparison.Ordinal);

        Assert.Contains("not a string", Fails(Build("""{"__metadata__":{"lr":0.1}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("object of strings", Fails(Build("""{"__metadata__":[]}""")).Message, StringComparison.Ordinal);
        Assert.Contains("not described by an object", Fails(Build("""{"w":[1]}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFileWithOnlyMetadata_Loads()
    {
        var loaded = Safetensors.Load(temp.Write("meta.safetensors", Build("""{"__metadata__":{"k":"v"}}   """)));
        Assert.Empty(loaded);
        Assert.Equal("v", loaded.Metadata["k"]);
    }
}
