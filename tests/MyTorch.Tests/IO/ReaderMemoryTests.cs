using System.Text;
using MyTorch.IO;
using Xunit;
using Xunit.Abstractions;

namespace MyTorch.Tests.IO;

/// <summary>Memory proportional to the input: a CSV of a million columns costs a small multiple of its size.</summary>
public sealed class ReaderMemoryTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Csv_AMillionColumns_AllocatesASmallMultipleOfTheFile()
    {
        const int columns = 1_000_000;
        var text = new StringBuilder();
        for (int i = 0; i < columns; i++) text.Append(i == 0 ? "c0" : $",c{i}");
        text.Append('\n');
        for (int row = 0; row < 2; row++)
        {
            for (int i = 0; i < columns; i++) text.Append(i == 0 ? "0" : ",0");
            text.Append('\n');
        }
        string path = temp.Write("wide.csv", text.ToString());
        long size = new FileInfo(path).Length;
        text.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var table = Csv.Read(path);
        var features = table.AllExcept("c0");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{size:N0}-byte file: {allocated:N0} bytes allocated ({(double)allocated / size:F1} per byte)");
        Assert.Equal(columns - 1, features.Shape[1]);
        Assert.True(allocated < 16 * size, $"allocated {allocated:N0} bytes for a {size:N0}-byte file");
    }
}
