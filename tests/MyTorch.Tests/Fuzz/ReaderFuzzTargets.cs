using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MyTorch.IO;
using MyTorch.NN;

namespace MyTorch.Tests.Fuzz;

/// <summary>
/// The library's readers as fuzz targets, each with a few valid files to mutate and a generator of mutated inputs:
/// byte-level havoc on every format, plus edits that know the format (IDX header fields, the safetensors JSON
/// header with its length fixed up, CSV text), so many inputs get past the first check and reach the deep ones.
/// </summary>
internal static class ReaderFuzzTargets
{
    public static FuzzTarget Idx { get; } = new()
    {
        Name = "idx",
        Extension = ".idx",
        Read = path => MyTorch.IO.Idx.Read(path, DType.Float32),
    };

    public static FuzzTarget IdxGzip { get; } = new()
    {
        Name = "idx-gzip",
        Extension = ".idx.gz",
        Read = path => MyTorch.IO.Idx.Read(path, DType.Int64),
        // Deflate expands at most about 1032 times; the reader stops one byte past what the header promises.
        AllocationPerInputByte = 2048,
    };

    public static FuzzTarget Mnist { get; } = new()
    {
        Name = "mnist",
        Extension = ".mnist-bundle",
        Read = ReadMnistBundle,
        AllocationPerInputByte = 2048,
    };

    public static FuzzTarget Csv { get; } = new()
    {
        Name = "csv",
        Extension = ".csv",
        Read = path =>
        {
            var table = MyTorch.IO.Csv.Read(path);
            table.Columns(table.Header[0]);
            if (table.ColumnCount > 1) table.AllExcept(table.Header[^1]);
        },
    };

    public static FuzzTarget Safetensors { get; } = new()
    {
        Name = "safetensors",
        Extension = ".safetensors",
        Read = path => MyTorch.IO.Safetensors.Load(path),
    };

    public static IReadOnlyList<FuzzTarget> All { get; } =
        [Idx, IdxGzip, Mnist, Csv, Safetensors, HostileClassFuzzTargets.GzipIntegrity, HostileClassFuzzTargets.GzipBomb, TorchFileFuzzTargets.TorchSave];

    // ---- IDX ----

    /// <summary>Valid IDX files of every element type and several ranks (scalar, empty, 1-D to 4-D).</summary>
    public static List<byte[]> IdxSeeds(bool gzip)
    {
        var seeds = new List<byte[]>();
        var random = new Random(5);
        int[][] shapes = [[3, 4, 5], [7], [2, 3], [], [0, 5], [2, 2, 2, 2], [1, 28, 28]];
        foreach (var type in Enum.GetValues<IdxType>())
        {
            foreach (var shape in shapes)
            {
                int count = shape.Aggregate(1, (a, b) => a * b);
                var values = new double[count];
                for (int i = 0; i < count; i++) values[i] = type == IdxType.SByte ? random.Next(-128, 128) : random.Next(0, 256);
                seeds.Add(WriteToBytes(path => MyTorch.IO.Idx.Write(path, Tensor.FromArray(values, shape), type, gzip)));
            }
        }
        return seeds;
    }

    public static IEnumerable<byte[]> IdxInputs(int count, int seed, bool gzip)
    {
        var mutator = new Mutator(seed);
        var raw = IdxSeeds(gzip: false);
        var compressed = gzip ? IdxSeeds(gzip: true) : raw;
        for (int n = 0; n < count; n++)
        {
            int pick = mutator.Next(raw.Count);
            if (gzip && mutator.Chance(0.4))
            {
                // Corrupt the compressed stream itself: CRC, length trailer, deflate blocks.
                yield return mutator.Mutate(compressed[pick], compressed[mutator.Next(compressed.Count)]);
                continue;
            }
            var bytes = mutator.Chance(0.4) ? EditIdxHeader(mutator, raw[pick]) : raw[pick];
            if (bytes == raw[pick] || mutator.Chance(0.5)) bytes = mutator.Mutate(bytes, raw[mutator.Next(raw.Count)]);
            yield return gzip ? Gzip(bytes) : bytes;
        }
    }

    /// <summary>Sets the type byte, the rank byte or one dimension size to a value chosen to break the arithmetic.</summary>
    private static byte[] EditIdxHeader(Mutator mutator, byte[] file)
    {
        var bytes = (byte[])file.Clone();
        if (bytes.Length < 4) return bytes;
        switch (mutator.Next(3))
        {
            case 0:
                bytes[2] = mutator.Pick(new byte[] { 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x0A, 0x00, 0xFF });
                break;
            case 1:
                bytes[3] = (byte)mutator.Pick(new[] { 0, 1, 2, 3, 4, 7, 8, 9, 255 });
                break;
            default:
                int rank = bytes[3];
                if (rank == 0 || bytes.Length < 4 + 4 * rank) goto case 1;
                int dim = mutator.Next(rank);
                int value = mutator.Pick(new[] { 0, 1, -1, 2, 65535, 65536, 46341, 50000, int.MaxValue, int.MinValue, 1 << 30, 1 << 16 });
                BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * dim), value);
                if (mutator.Chance(0.3) && rank > 1)
                    BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * ((dim + 1) % rank)), mutator.Chance(0.5) ? 0 : int.MaxValue);
                break;
        }
        return bytes;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(bytes);
        return output.ToArray();
    }

    // ---- MNIST: four IDX files in one input ----

    /// <summary>Packs four files as [int32 length, bytes] x 4, so one fuzz input (and one kept file) holds a whole data set.</summary>
    public static byte[] Bundle(IReadOnlyList<byte[]> files)
    {
        using var output = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var file in files)
        {
            BinaryPrimitives.WriteInt32LittleEndian(length, file.Length);
            output.Write(length);
            output.Write(file);
        }
        return output.ToArray();
    }

    private static List<byte[]> Unbundle(byte[] bundle)
    {
        var files = new List<byte[]>();
        int at = 0;
        for (int i = 0; i < 4; i++)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(bundle.AsSpan(at));
            files.Add(bundle.AsSpan(at + 4, length).ToArray());
            at += 4 + length;
        }
        return files;
    }

    private static void ReadMnistBundle(string path)
    {
        var files = Unbundle(File.ReadAllBytes(path));
        string folder = path + ".d";
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        for (int i = 0; i < 4; i++)
        {
            bool gzip = files[i].Length >= 2 && files[i][0] == 0x1F && files[i][1] == 0x8B;
            File.WriteAllBytes(Path.Combine(folder, MyTorch.IO.Mnist.FileNames[i] + (gzip ? ".gz" : "")), files[i]);
        }
        var (trainImages, trainLabels, testImages, testLabels) = MyTorch.IO.Mnist.Load(folder);
        // Use the result as a caller would: the shapes must be consistent.
        if (trainImages.Shape[0] != trainLabels.Shape[0] || testImages.Shape[0] != testLabels.Shape[0] || trainImages.Shape[1] != testImages.Shape[1])
            throw new InvalidOperationException("Mnist.Load returned inconsistent shapes.");
    }

    public static List<byte[]> MnistSeed(int trainCount, int testCount, int rows, int columns, bool gzip)
    {
        var random = new Random(trainCount * 31 + rows);
        byte[] Images(int n)
        {
            var values = new double[n * rows * columns];
            for (int i = 0; i < values.Length; i++) values[i] = random.Next(256);
            return WriteToBytes(p => MyTorch.IO.Idx.Write(p, Tensor.FromArray(values, [n, rows, columns]), IdxType.UByte, gzip));
        }
        byte[] Labels(int n)
        {
            var values = new double[n];
            for (int i = 0; i < n; i++) values[i] = random.Next(10);
            return WriteToBytes(p => MyTorch.IO.Idx.Write(p, Tensor.FromArray(values, [n]), IdxType.UByte, gzip));
        }
        return [Images(trainCount), Labels(trainCount), Images(testCount), Labels(testCount)];
    }

    public static IEnumerable<byte[]> MnistInputs(int count, int seed)
    {
        var mutator = new Mutator(seed);
        List<byte[]>[] seeds = [MnistSeed(6, 3, 5, 4, gzip: false), MnistSeed(4, 2, 3, 3, gzip: true), MnistSeed(2, 1, 28, 28, gzip: false)];
        for (int n = 0; n < count; n++)
        {
            var files = new List<byte[]>(mutator.Pick(seeds));
            int member = mutator.Next(4);
            bool gzip = files[member][0] == 0x1F;
            byte[] raw = gzip ? Gunzip(files[member]) : files[member];
            var edited = mutator.Chance(0.5) ? EditIdxHeader(mutator, raw) : raw;
            if (edited == raw || mutator.Chance(0.5)) edited = mutator.Mutate(edited, files[(member + 2) % 4]);
            files[member] = gzip ? Gzip(edited) : edited;
            if (mutator.Chance(0.1)) files[(member + 1) % 4] = mutator.Mutate(files[(member + 1) % 4]);
            // Valid files from different data sets: image sizes or counts that disagree between the four.
            if (mutator.Chance(0.1)) files[(member + 2) % 4] = mutator.Pick(seeds)[(member + 2) % 4];
            yield return Bundle(files);
        }
    }

    private static byte[] Gunzip(byte[] bytes)
    {
        using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    // ---- CSV ----

    public static List<byte[]> CsvSeeds() =>
    [
        .. new[]
        {
            "x1,x2,y\n1,2,3\n4.5,-6e-2,1\n0,0,0\n",
            "a;b\n1;2\n3;4\n",
            "\"quoted, name\",\"with \"\"quotes\"\"\",label\r\n1,2,0\r\n3,4,1\r\n",
            "only\n1\n2\n3\n\n\n",
            " spaced , name \n 1 , 2 \n",
            "f0,f1,f2,f3,target\n0.1,0.2,0.3,0.4,1\n1e10,-1e-10,3.4e38,-3.4e38,0\n5,6,7,8,2\n",
            "x,y\n\"1\",\"2\"\n\"multi\nline\",3\n",
        }.Select(Encoding.UTF8.GetBytes),
    ];

    public static IEnumerable<byte[]> CsvInputs(int count, int seed)
    {
        var mutator = new Mutator(seed);
        var seeds = CsvSeeds();
        for (int n = 0; n < count; n++)
        {
            var pick = mutator.Pick(seeds);
            yield return mutator.Chance(0.6)
                ? Encoding.UTF8.GetBytes(mutator.MutateText(Encoding.UTF8.GetString(pick)))
                : mutator.Mutate(pick, mutator.Pick(seeds));
        }
    }

    // ---- safetensors ----

    public static List<byte[]> SafetensorsSeeds()
    {
        var full = new StateDict
        {
            { "fc2.weight", Tensor.FromArray(new float[] { 1.5f, -2, float.MaxValue, float.Epsilon, 0, -0f }, [2, 3]) },
            { "fc1.bias", Tensor.FromArray(new double[] { Math.PI, -1e-300 }) },
            { "steps", Tensor.FromArray(new long[] { long.MinValue, 0, long.MaxValue }) },
            { "scalar", Tensor.Scalar(7, DType.Float64) },
            { "empty", Tensor.Zeros([0]) },
            { "empty2d", Tensor.Zeros([2, 0, 3], DType.Int64) },
        };
        full.Metadata["format"] = "mytorch/1";
        full.Metadata["note"] = "ünïcødé, \"quoted\"";
        var single = new StateDict { { "w", Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]) } };
        var metadataOnly = new StateDict();
        metadataOnly.Metadata["config"] = "{\"hidden\":[16]}";
        return [.. new[] { full, single, metadataOnly, new StateDict() }.Select(d => WriteToBytes(p => MyTorch.IO.Safetensors.Save(p, d)))];
    }

    public static IEnumerable<byte[]> SafetensorsInputs(int count, int seed)
    {
        var mutator = new Mutator(seed);
        var seeds = SafetensorsSeeds();
        for (int n = 0; n < count; n++)
        {
            var pick = mutator.Pick(seeds);
            yield return mutator.Next(10) switch
            {
                < 5 => EditSafetensorsHeader(mutator, pick),
                < 7 => mutator.Mutate(EditSafetensorsHeader(mutator, pick), mutator.Pick(seeds)),
                _ => mutator.Mutate(pick, mutator.Pick(seeds)),
            };
        }
    }

    /// <summary>Mutates the JSON header as text and writes it back with a correct (usually) length prefix.</summary>
    public static byte[] EditSafetensorsHeader(Mutator mutator, byte[] file)
    {
        long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, (int)length);
        var data = file.AsSpan(8 + (int)length).ToArray();
        byte[] edited = Encoding.UTF8.GetBytes(mutator.MutateText(header));
        if (mutator.Chance(0.15)) data = data.AsSpan(0, mutator.Next(data.Length + 1)).ToArray();
        if (mutator.Chance(0.1)) data = [.. data, .. mutator.RandomBytes(1 + mutator.Next(64))];
        var output = new byte[8 + edited.Length + data.Length];
        ulong written = mutator.Chance(0.85) ? (ulong)edited.Length : (ulong)(edited.Length + mutator.Next(-8, 9));
        BinaryPrimitives.WriteUInt64LittleEndian(output, written);
        edited.CopyTo(output, 8);
        data.CopyTo(output, 8 + edited.Length);
        return output;
    }

    /// <summary>The bytes a writer that takes a path produces.</summary>
    public static byte[] WriteToBytes(Action<string> write)
    {
        string path = Path.Combine(Path.GetTempPath(), "mytorch-fuzz-seed-" + Guid.NewGuid().ToString("N"));
        try
        {
            write(path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
