using System.Buffers.Binary;
using System.IO.Compression;
using MyTorch.IO;

namespace MyTorch.Tests.Fuzz;

/// <summary>
/// Fuzz targets for classes of hostile input that byte havoc rarely reaches: gzip files damaged where only the
/// trailer can tell (which must be rejected, or read exactly as the undamaged file), and decompression bombs
/// (gzip files that really inflate to far more than their header, or than the limit, allows).
/// </summary>
internal static class HostileClassFuzzTargets
{
    // Each input is [mode byte][seed index int32][the gzip file]; mode 0: damaged so that it must be rejected,
    // mode 1: damaged anywhere, so it must be rejected unless it still decodes to exactly the seed's data.
    private const byte MustReject = 0;
    private const byte RejectOrExact = 1;

    private static readonly Lazy<List<(byte[] Gzip, double[] Values)>> IntegritySeeds = new(() =>
        [.. ReaderFuzzTargets.IdxSeeds(gzip: false).Where(raw => raw.Length > 4)
            .Select(raw => (ReaderFuzzTargets.Gzip(raw), Decode(raw)))]);

    public static FuzzTarget GzipIntegrity { get; } = new()
    {
        Name = "idx-gzip-integrity",
        Extension = ".gzip-case",
        Read = ReadIntegrityCase,
        AllocationPerInputByte = 2048,
    };

    /// <summary>A limit of 1 MiB on decompressed bytes, so bombs of a few megabytes test it quickly.</summary>
    public const long BombLimit = 1 << 20;

    public static FuzzTarget GzipBomb { get; } = new()
    {
        Name = "idx-gzip-bomb",
        Extension = ".idx.gz",
        Read = path => MyTorch.IO.Idx.ReadWithHeader(path, DType.Float32, maxDecompressedBytes: BombLimit),
        // The limit bounds the data (at most 4 MiB as float32) whatever the 2000-fold compression of zeros.
        AllocationFloor = 12L << 20,
        AllocationPerInputByte = 64,
    };

    public static IEnumerable<byte[]> GzipIntegrityInputs(int count, int seed)
    {
        var mutator = new Mutator(seed);
        var seeds = IntegritySeeds.Value;
        for (int n = 0; n < count; n++)
        {
            int pick = mutator.Next(seeds.Count);
            var file = (byte[])seeds[pick].Gzip.Clone();
            byte mode = MustReject;
            switch (mutator.Next(6))
            {
                case 0: // the trailer cut short, or the file cut anywhere after the header
                    file = file[..^(1 + mutator.Next(mutator.Chance(0.5) ? 8 : Math.Max(1, file.Length - 10)))];
                    break;
                case 1: // a wrong CRC32
                    file[^(5 + mutator.Next(4))] ^= (byte)(1 + mutator.Next(255));
                    break;
                case 2: // a wrong length
                    BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(file.Length - 4),
                        BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 4)) + (uint)mutator.Next(1, 1000));
                    break;
                case 3: // a second member after the first
                    file = [.. file, .. mutator.Pick(seeds).Gzip];
                    break;
                default: // a flipped bit in the deflate data or the trailer, with or without the trailer
                    mode = RejectOrExact;
                    file[10 + mutator.Next(file.Length - 10)] ^= (byte)(1 << mutator.Next(8));
                    if (mutator.Chance(0.3)) file = file[..^8];
                    break;
            }
            var input = new byte[5 + file.Length];
            input[0] = mode;
            BinaryPrimitives.WriteInt32LittleEndian(input.AsSpan(1), pick);
            file.CopyTo(input, 5);
            yield return input;
        }
    }

    private static void ReadIntegrityCase(string path)
    {
        var input = File.ReadAllBytes(path);
        byte mode = input[0];
        int pick = BinaryPrimitives.ReadInt32LittleEndian(input.AsSpan(1));
        string file = path + ".idx.gz";
        File.WriteAllBytes(file, input[5..]);
        var values = MyTorch.IO.Idx.Read(file, DType.Float64).ToArray<double>();
        if (mode == MustReject)
            throw new InvalidOperationException("a gzip file with a missing or wrong trailer, or two members, was accepted");
        if (!values.AsSpan().SequenceEqual(IntegritySeeds.Value[pick].Values))
            throw new InvalidOperationException("a damaged gzip file was read as different data instead of being rejected");
    }

    public static IEnumerable<byte[]> GzipBombInputs(int count, int seed)
    {
        var mutator = new Mutator(seed);
        int[] claimedRows = [1, 100, 1000, 1048, 1049, 4000, 50_000, 2_700_000, int.MaxValue / 1000];
        long[] realBytes = [0, 1000, 500_000, 1_048_000, 1_048_576, 1_049_000, 2_000_000, 4_000_000];
        for (int n = 0; n < count; n++)
        {
            int rows = mutator.Pick(claimedRows);
            long zeros = mutator.Pick(realBytes);
            var header = new byte[12];
            header[2] = 0x08;
            header[3] = 2;
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), rows);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 1000);
            var bomb = Zeros(header, zeros);
            yield return mutator.Chance(0.2) ? mutator.Mutate(bomb) : bomb;
        }
    }

    private static byte[] Zeros(byte[] header, long zeros)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(header);
            var block = new byte[1 << 16];
            for (long left = zeros; left > 0; left -= block.Length) gzip.Write(block, 0, (int)Math.Min(block.Length, left));
        }
        return output.ToArray();
    }

    private static double[] Decode(byte[] raw)
    {
        string path = Path.Combine(Path.GetTempPath(), "mytorch-fuzz-seed-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, raw);
        try
        {
            return MyTorch.IO.Idx.Read(path, DType.Float64).ToArray<double>();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
