using System.IO.Compression;
using MyTorch.IO;

namespace MyTorch.Tests.Fuzz;

/// <summary>
/// <c>torch.save</c> files as a fuzz target: the archives PyTorch wrote (tests/reference/fixtures/pytorch-files/),
/// mutated as raw bytes, and rebuilt with a mutated <c>data.pkl</c> or cut storages, so most inputs are well-formed
/// zips whose pickle reaches <see cref="TorchPickle"/>'s deep checks.
/// </summary>
internal static class TorchFileFuzzTargets
{
    public static FuzzTarget TorchSave { get; } = new()
    {
        Name = "torch-save",
        Extension = ".pt",
        Read = path => TorchFile.Load(path),
    };

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch-files", name);

    /// <summary>Each seed archive's entries, name and bytes, in order.</summary>
    private static List<List<(string Name, byte[] Data)>> Seeds()
    {
        var seeds = new List<List<(string, byte[])>>();
        foreach (var name in new[] { "mlp.pt", "dtypes.pt", "cnn.pt", "checkpoint.pt" })
        {
            using var zip = ZipFile.OpenRead(Fixture(name));
            seeds.Add([.. zip.Entries.Select(e =>
            {
                using var stream = e.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return (e.FullName, copy.ToArray());
            })]);
        }
        return seeds;
    }

    private static byte[] Zip(IEnumerable<(string Name, byte[] Data)> entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(data);
            }
        }
        return buffer.ToArray();
    }

    public static IEnumerable<byte[]> Inputs(int count, int seed)
    {
        var mutator = new Mutator(seed);
        var seeds = Seeds();
        var pickles = seeds.Select(s => s.First(e => e.Name.EndsWith("data.pkl", StringComparison.Ordinal)).Data).ToList();
        var files = seeds.Select(Zip).ToList();
        for (int n = 0; n < count; n++)
        {
            var entries = mutator.Pick(seeds);
            switch (mutator.Next(10))
            {
                case < 6:
                    // A mutated pickle, spliced at times with another seed's, in an otherwise intact archive.
                    yield return Zip(entries.Select(e => e.Name.EndsWith("data.pkl", StringComparison.Ordinal)
                        ? (e.Name, mutator.Mutate(e.Data, mutator.Pick(pickles))) : e));
                    break;
                case < 8:
                    // Storages cut short or dropped.
                    yield return Zip(entries.Where(e => !mutator.Chance(0.1)).Select(e => e.Name.Contains("/data/", StringComparison.Ordinal) && mutator.Chance(0.3)
                        ? (e.Name, e.Data[..mutator.Next(e.Data.Length + 1)]) : e));
                    break;
                default:
                    yield return mutator.Mutate(mutator.Pick(files), mutator.Pick(files));
                    break;
            }
        }
    }
}
