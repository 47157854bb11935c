using System.Text.Json;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>mytorch bench runs and prints the JSON shape bench/compare_results.py reads.</summary>
public class BenchCommandTests
{
    [Fact]
    public void QuickGemmBenchPrintsGflopsPerShapeAsJson()
    {
        var result = CliRunner.Run("bench", "--quick", "--json", "--only", "gemm", "--threads", "2");
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}; stderr: {result.Error}");

        using var report = JsonDocument.Parse(result.Output);
        var root = report.RootElement;
        Assert.Equal("mytorch", root.GetProperty("tool").GetString());
        Assert.True(root.GetProperty("machine").GetProperty("logical_processors").GetInt32() >= 1);
        Assert.True(root.GetProperty("settings").GetProperty("quick").GetBoolean());
        Assert.False(root.TryGetProperty("train", out _));
        Assert.False(root.TryGetProperty("inference", out _));
        Assert.True(root.GetProperty("memory").GetProperty("peak_working_set_bytes").GetInt64() > 0);

        var rows = root.GetProperty("gemm").EnumerateArray().ToList();
        // The MLP shapes in all three forms and 256^3, on 2 threads and on 1.
        foreach (var name in new[] { "AB 128x784x256", "AB 128x256x128", "AtB 784x128x256", "ABt 128x256x784", "AB 256x256x256" })
        {
            Assert.Contains(rows, r => r.GetProperty("name").GetString() == name && r.GetProperty("threads").GetInt32() == 2);
            Assert.Contains(rows, r => r.GetProperty("name").GetString() == name && r.GetProperty("threads").GetInt32() == 1);
        }
        foreach (var row in rows)
        {
            var gflops = row.GetProperty("gflops");
            int repetitions = gflops.GetProperty("repetitions").GetInt32();
            Assert.True(repetitions >= 1);
            Assert.Equal(repetitions, gflops.GetProperty("values").GetArrayLength());
            double median = gflops.GetProperty("median").GetDouble(), best = gflops.GetProperty("best").GetDouble();
            Assert.True(median > 0 && double.IsFinite(median), $"{row.GetProperty("name")}: median {median}");
            Assert.True(best >= median && gflops.GetProperty("worst").GetDouble() <= median);
            Assert.True(gflops.GetProperty("spread_pct").GetDouble() >= 0);
            string op = row.GetProperty("op").GetString()!;
            Assert.Contains(op, new[] { "AB", "AtB", "ABt" });
            Assert.StartsWith(op + " ", row.GetProperty("name").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AnUnknownPartIsRejectedWithUsage()
    {
        var result = CliRunner.Run("bench", "--only", "everything");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--only", result.Error, StringComparison.Ordinal);
        Assert.Contains("mytorch bench [options]", result.Error, StringComparison.Ordinal);
    }
}
