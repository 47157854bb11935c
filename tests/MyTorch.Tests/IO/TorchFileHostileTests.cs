using System.IO.Compression;
using System.Text;
using MyTorch.IO;
using Xunit;

namespace MyTorch.Tests.IO;

/// <summary>
/// Hostile and broken <c>torch.save</c> files: every one is refused with a one-line <see cref="DataFormatException"/>
/// naming the file (and, inside the pickle, the byte offset and the opcode or global), and nothing in them runs.
/// </summary>
public sealed class TorchFileHostileTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    /// <summary>A torch.save-shaped archive: <c>archive/data.pkl</c> and the given storages under <c>archive/data/</c>.</summary>
    private string Archive(string name, byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        string path = temp.File(name);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            Write(zip, "archive/data.pkl", pickle);
            foreach (var (key, data) in storages) Write(zip, "archive/data/" + key, data);
        }
        return path;

        static void Write(ZipArchive zip, string entryName, byte[] data)
        {
            using var stream = zip.CreateEntry(entryName, CompressionLevel.NoCompression).Open();
            stream.Write(data);
        }
    }

    private static byte[] Bytes(string latin1) => Encoding.Latin1.GetBytes(latin1);

    private static DataFormatException Refused(string path)
    {
        var error = Assert.Throws<DataFormatException>(() => TorchFile.Load(path));
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains(Path.GetFileName(path), error.Message, StringComparison.Ordinal);
        return error;
    }

    // {'w': tensor of FloatStorage '0' with `count` elements, offset, size (size), stride (stride)} in protocol 2.
    private static byte[] OneTensorPickle(int count, string offset = "K\u0000", string size = "K\u0002\u0085", string stride = "K\u0001\u0085") =>
        Bytes("\u0080\u0002}(X\u0001\u0000\u0000\u0000wctorch._utils\n_rebuild_tensor_v2\n((X\u0007\u0000\u0000\u0000storagectorch\nFloatStorage\nX\u0001\u0000\u0000\u00000X\u0003\u0000\u0000\u0000cpuJ"
            + Latin1Int(count) + "tQ" + offset + size + stride + "\u0089ccollections\nOrderedDict\n)RtRu.");

    private static string Latin1Int(int value) => Encoding.Latin1.GetString(BitConverter.GetBytes(value));

    [Fact]
    public void AHandMadeArchive_ReadsLikeTorchsOwn()
    {
        var tensors = TorchFile.Load(Archive("ok.pt", OneTensorPickle(2), ("0", [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f)])));
        Assert.Equal([1.5, -2.0], tensors["w"].ToArray<double>());
    }

    [Fact]
    public void AStorageClaimedWithTwoSizes_OrARepeatedEntry_IsRefused()
    {
        string one = Encoding.Latin1.GetString(OneTensorPickle(2));
        string tensor = one[one.IndexOf("ctorch._utils", StringComparison.Ordinal)..^2];
        string larger = tensor.Replace("J" + Latin1Int(2), "J" + Latin1Int(4), StringComparison.Ordinal);
        string pickle = one[..^2] + "X\u0001\u0000\u0000\u0000v" + larger + "u.";
        var error = Refused(Archive("shared.pt", Bytes(pickle), ("0", new byte[8])));
        Assert.Contains("storage 0 is referred to with two different sizes", error.Message, StringComparison.Ordinal);

        error = Refused(Archive("twice.pt", OneTensorPickle(2), ("0", new byte[8]), ("0", new byte[8])));
        Assert.Contains("holds 'archive/data/0' twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANonStringKey_IsRefused()
    {
        var pickle = Encoding.Latin1.GetString(OneTensorPickle(2)).Replace("X\u0001\u0000\u0000\u0000w", "K\u0001", StringComparison.Ordinal);
        var error = Refused(Archive("key.pt", Bytes(pickle), ("0", new byte[8])));
        Assert.Contains("key is not a string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OsSystem_IsRefusedByName_AndNeverRuns()
    {
        string marker = temp.File("ran");
        var pickle = Bytes($"cos\nsystem\n(X{Latin1Int(("touch " + marker).Length)}touch {marker}tR.");
        var error = Refused(Archive("system.pt", pickle));
        Assert.Contains("global 'os.system' is not allowed", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData("\u0080\u0004\u008c\u0008builtins\u008c\u0004eval\u0093)R.", "builtins.eval", 18)]
    [InlineData("\u0080\u0002cposix\nsystem\n.", "posix.system", 2)]
    [InlineData("\u0080\u0002ctorch\nload\n.", "torch.load", 2)]
    [InlineData("\u0080\u0002c__builtin__\ngetattr\n.", "__builtin__.getattr", 2)]
    public void UnknownGlobals_AreRefusedWithTheirNameAndOffset(string pickle, string global, long offset)
    {
        var error = Refused(Archive("global.pt", Bytes(pickle)));
        Assert.Contains($"'{global}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(offset, error.Offset);
    }

    [Theory]
    [InlineData("\u0080\u0002(i__main__\nX\n.", "'i' (0x69)", 3)]              // INST
    [InlineData("\u0080\u0002(o.", "'o' (0x6F)", 3)]                             // OBJ
    [InlineData("\u0080\u0002)\u0081.", "0x81", 3)]                                 // NEWOBJ
    [InlineData("\u0080\u0002S'x'\n.", "'S' (0x53)", 2)]                         // STRING (protocol 0 text)
    [InlineData("\u0080\u0002P1\n.", "'P' (0x50)", 2)]                           // PERSID
    [InlineData("\u0080\u0002\u00FF.", "0xFF", 2)]
    public void OpcodesOutsideTheStateDictSet_AreRefusedByName(string pickle, string opcode, long offset)
    {
        var error = Refused(Archive("opcode.pt", Bytes(pickle)));
        Assert.Contains($"opcode {opcode} is not allowed", error.Message, StringComparison.Ordinal);
        Assert.Equal(offset, error.Offset);
    }

    [Theory]
    [InlineData("\u0080\u0002X\u00FF\u00FF\u00FF\u00FF.", "longer than the rest")]
    [InlineData("\u0080\u0002}", "ends before its STOP")]
    [InlineData("\u0080\u0002J\u0001\u0000", "ends inside an opcode's argument")]
    [InlineData("\u0080\u0002j\u0007\u0000\u0000\u0000.", "memo reference to nothing")]
    [InlineData("\u0080\u0002\u008a\u0009\u0001\u0001\u0001\u0001\u0001\u0001\u0001\u0001\u0001.", "too large for 64 bits")]
    [InlineData("\u0080\u0002].", "not hold a dict of tensors")]
    [InlineData("\u0080\u0002}X\u0001\u0000\u0000\u0000aK\u0001s.", "none is a tensor or a state dict under 'state_dict'")]
    [InlineData("\u0080\u0002}X\u0005\u0000\u0000\u0000modelX\u0001\u0000\u0000\u0000xs.", "the keys 'model'")]
    [InlineData("\u0080\u0009.", "protocol 9")]
    [InlineData("\u0080\u0002cos\u001B[2J\nsystem\n.", "not a Python name")]
    [InlineData("\u0080\u0004\u008C\u0002o\u0001\u008C\u0001x\u0093.", "not a Python name")]
    [InlineData("\u0080\u0002s.", "stack is empty")]
    [InlineData("\u0080\u0002NN.", "malformed stack")]
    [InlineData("\u0080\u0002NQ.", "persistent id that is not a storage")]
    public void MalformedPickles_GiveAOneLineError(string pickle, string problem)
    {
        var error = Refused(Archive("bad.pt", Bytes(pickle)));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepNesting_StopsAtTheLimit()
    {
        var error = Refused(Archive("deep.pt", Bytes("\u0080\u0002" + new string('(', 100_000) + ".")));
        Assert.Contains("nests too deeply", error.Message, StringComparison.Ordinal);
        Assert.Equal(2 + TorchPickle.MaxMarkDepth, error.Offset);
        error = Refused(Archive("deep-lists.pt", Bytes("\u0080\u0002" + new string('N', 2_000_000) + ".")));
        Assert.Contains("stack grows past the limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeSizes_AreRefusedBeforeAllocating()
    {
        var data = new byte[8];
        // The pickle claims a storage of 2^31 - 1 floats; the entry holds 8 bytes.
        Assert.Contains("smaller than the pickle says", Refused(Archive("storage.pt", OneTensorPickle(int.MaxValue), ("0", data))).Message, StringComparison.Ordinal);
        // A view of 2^31-1 x 2^31-1 elements.
        string huge = "J\u00FF\u00FF\u00FF\u007FJ\u00FF\u00FF\u00FF\u007F\u0086";
        Assert.Contains("more elements than a tensor can hold",
            Refused(Archive("shape.pt", OneTensorPickle(2, size: huge, stride: "K\u0001K\u0001\u0086"), ("0", data))).Message, StringComparison.Ordinal);
        // A view that starts or reaches past its storage's end.
        Assert.Contains("reaches outside its storage", Refused(Archive("offset.pt", OneTensorPickle(2, offset: "K\u0001"), ("0", data))).Message, StringComparison.Ordinal);
        Assert.Contains("reaches outside its storage",
            Refused(Archive("stride.pt", OneTensorPickle(2, stride: "K\u0005\u0085"), ("0", data))).Message, StringComparison.Ordinal);
        Assert.Contains("lacks its storage", Refused(Archive("nostorage.pt", OneTensorPickle(2))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedOrDamagedArchives_GiveAOneLineError()
    {
        var bytes = File.ReadAllBytes(PyTorchImportTests.Fixture("mlp.pt"));
        for (int length = 0; length < bytes.Length; length += 97)
        {
            string path = temp.Write($"cut-{length}.pt", bytes[..length]);
            var error = Assert.Throws<DataFormatException>(() => TorchFile.Load(path));
            Assert.DoesNotContain('\n', error.Message);
        }
        Assert.Contains("not a torch.save file", Refused(temp.Write("text.pt", "hello, world")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomByteChanges_NeverEscapeAsAnotherException()
    {
        var bytes = File.ReadAllBytes(PyTorchImportTests.Fixture("mlp.pt"));
        var random = new Random(21);
        string path = temp.File("mutated.pt");
        for (int trial = 0; trial < 300; trial++)
        {
            var mutated = (byte[])bytes.Clone();
            for (int k = random.Next(1, 4); k > 0; k--) mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(path, mutated);
            try
            {
                TorchFile.Load(path);
            }
            catch (DataFormatException error)
            {
                Assert.DoesNotContain('\n', error.Message);
            }
        }
    }
}
