using System.Text.Json;
using MyTorch.Cli.Benchmarks;
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
        // A core check before and after the measurements says whether the 2 threads had a core each meanwhile.
        var checks = root.GetProperty("core_checks").EnumerateArray().ToList();
        Assert.Equal(["before", "after"], checks.Select(c => c.GetProperty("when").GetString()));
        foreach (var check in checks) AssertCoreCheck(check, threads: 2);

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
            // Multi-threaded rows carry the core check after each repetition; one-thread rows have nothing to check.
            if (row.GetProperty("threads").GetInt32() > 1)
                Assert.Equal(repetitions, gflops.GetProperty("core_scaling").EnumerateArray().Count(s => s.GetDouble() > 0));
            else
                Assert.False(gflops.TryGetProperty("core_scaling", out _));
            string op = row.GetProperty("op").GetString()!;
            Assert.Contains(op, new[] { "AB", "AtB", "ABt" });
            Assert.StartsWith(op + " ", row.GetProperty("name").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void QuickInferenceBenchPrintsEveryPathAtBatchOneAnd256()
    {
        var result = CliRunner.Run("bench", "--quick", "--json", "--only", "inference", "--data", "mnist", "--threads", "2");
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}; stderr: {result.Error}");

        using var report = JsonDocument.Parse(result.Output);
        var rows = report.RootElement.GetProperty("inference").EnumerateArray().ToList();
        // Frozen weights (what eval and predict run), weights read at every run, and the module's own forward.
        Assert.Equal(
            [(1, "frozen"), (1, "compiled"), (1, "module"), (256, "frozen"), (256, "compiled"), (256, "module")],
            rows.Select(r => (r.GetProperty("batch").GetInt32(), r.GetProperty("path").GetString())));
        foreach (var row in rows)
        {
            var rate = row.GetProperty("samples_per_second");
            Assert.True(rate.GetProperty("median").GetDouble() > 0);
            Assert.Equal(2, row.GetProperty("threads").GetInt32());
            Assert.Equal(rate.GetProperty("repetitions").GetInt32(), rate.GetProperty("core_scaling").GetArrayLength());
            Assert.True(row.GetProperty("bytes_per_call_all_threads").GetDouble() >= 0);
            // 784-256-128-10: two flops per multiply-add of the three Linear layers.
            Assert.Equal(2.0 * ((784 * 256) + (256 * 128) + (128 * 10)), row.GetProperty("flops_per_sample").GetDouble());
        }
        // The module's forward makes every activation anew (800 KB a batch of 256); the plans reuse theirs. Quick
        // mode's short warm-up can leave the runtime's own tiering work inside the count, so this checks the scale;
        // CompiledInferenceTests check that steady state allocates nothing at all.
        double Bytes(string path) => rows.Single(r => r.GetProperty("batch").GetInt32() == 256 && r.GetProperty("path").GetString() == path)
            .GetProperty("bytes_per_call_all_threads").GetDouble();
        Assert.True(Bytes("module") > 500_000);
        Assert.True(Bytes("frozen") < Bytes("module") / 100);
        Assert.True(Bytes("compiled") < Bytes("module") / 100);
    }

    [Fact]
    public void TheCoreCheckRunsAloneAndNotWithOneThread()
    {
        var result = CliRunner.Run("bench", "--quick", "--json", "--only", "cores", "--threads", "2");
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}; stderr: {result.Error}");
        using (var report = JsonDocument.Parse(result.Output))
        {
            var root = report.RootElement;
            Assert.False(root.TryGetProperty("gemm", out _));
            Assert.False(root.TryGetProperty("startup", out _)); // no data or model: the check alone
            var check = Assert.Single(root.GetProperty("core_checks").EnumerateArray().ToList());
            Assert.Equal("now", check.GetProperty("when").GetString());
            AssertCoreCheck(check, threads: 2);
            // The chains run at the kernels' width, so the best all-threads figure is the ceiling of what the GEMM runs.
            bool widest = root.GetProperty("machine").GetProperty("kernel_path").GetString() == "vector512";
            Assert.Equal(widest ? 512 : 256, check.GetProperty("vector_bits").GetInt32());
        }

        var narrower = CliRunner.Run("bench", "--quick", "--json", "--only", "cores", "--threads", "2", "--kernel-path", "vector256");
        Assert.True(narrower.ExitCode == 0, $"exit code {narrower.ExitCode}; stderr: {narrower.Error}");
        using (var report = JsonDocument.Parse(narrower.Output))
            Assert.Equal(256, report.RootElement.GetProperty("core_checks")[0].GetProperty("vector_bits").GetInt32());
        Assert.Contains("core check (now): 2 threads together ran", result.Error, StringComparison.Ordinal);

        var single = CliRunner.Run("bench", "--quick", "--json", "--only", "cores", "--threads", "1");
        Assert.True(single.ExitCode == 0, $"exit code {single.ExitCode}; stderr: {single.Error}");
        using (var report = JsonDocument.Parse(single.Output))
            Assert.Equal(0, report.RootElement.GetProperty("core_checks").GetArrayLength());
        Assert.Contains("one thread: no core check", single.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ACoreCheckCountsTheSamplesWithinATenthOfWholeCores()
    {
        var gflops = SampleSummary.Of([10.0, 10.0, 10.0, 10.0]);
        var result = new CoreCheckResult(2, gflops, SampleSummary.Of([20.0, 16.0, 15.8, 10.0]), SampleSummary.Of([2.0, 1.6, 1.58, 1.0]));
        Assert.Equal(0.5, result.WholeCoresShare); // 2.0 and 1.6 reach 0.8 x 2; 1.58 and 1.0 do not
        var json = result.ToJson();
        Assert.Equal(0.5, json["whole_cores_share"]!.GetValue<double>());
        Assert.Equal(1.59, json["scaling"]!["median"]!.GetValue<double>());

        Assert.Throws<ArgumentOutOfRangeException>(() => CoreCheck.Measure(threads: 1, samples: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => CoreCheck.Measure(threads: 2, samples: 0));
    }

    private static void AssertCoreCheck(JsonElement check, int threads)
    {
        Assert.Equal(threads, check.GetProperty("threads").GetInt32());
        var scaling = check.GetProperty("scaling");
        double median = scaling.GetProperty("median").GetDouble();
        // A measured ratio (about 1 on a shared core, about the thread count on whole cores), not a figure to assert:
        // another process on the machine can push it anywhere. It must be a ratio of two real measurements.
        Assert.True(double.IsFinite(median) && median > 0, $"scaling {median}");
        Assert.Equal(scaling.GetProperty("repetitions").GetInt32(), scaling.GetProperty("values").GetArrayLength());
        double share = check.GetProperty("whole_cores_share").GetDouble();
        Assert.InRange(share, 0, 1);
        Assert.True(check.GetProperty("one_thread_gflops_median").GetDouble() > 0);
        Assert.True(check.GetProperty("all_threads_gflops_median").GetDouble() > 0);
        Assert.True(check.GetProperty("all_threads_gflops_best").GetDouble() >= check.GetProperty("all_threads_gflops_median").GetDouble());
        Assert.Contains(check.GetProperty("vector_bits").GetInt32(), new[] { 256, 512 });
    }

    [Fact]
    public void AnUnknownPartIsRejectedInOneLineNamingTheParts()
    {
        var result = CliRunner.Run("bench", "--only", "everything");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--only", result.Error, StringComparison.Ordinal);
        Assert.Contains("conv", result.Error, StringComparison.Ordinal);
        Assert.Contains("Run 'mytorch bench --help' to see its options.", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ABlasThatIsMissingOrNotALibraryIsAClearError()
    {
        var missing = CliRunner.Run("bench", "--quick", "--only", "gemm", "--blas", "/no/such/libblas.so.3");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--blas", missing.Error, StringComparison.Ordinal);
        Assert.Contains("/no/such/libblas.so.3", missing.Error, StringComparison.Ordinal);

        string notALibrary = Path.Combine(Path.GetTempPath(), $"mytorch-not-a-library-{Environment.ProcessId}.so");
        File.WriteAllText(notALibrary, "not a shared object");
        try
        {
            var result = CliRunner.Run("bench", "--quick", "--only", "gemm", "--blas", notALibrary);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("--blas", result.Error, StringComparison.Ordinal);
            Assert.Contains("could not be loaded", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(notALibrary);
        }
    }

    /// <summary>
    /// With a CBLAS library installed (Debian's reference BLAS or OpenBLAS; a machine without one has nothing to pair
    /// with, and the test has nothing to check), every GEMM row carries the library's GFLOP/s and the paired ratios.
    /// </summary>
    [Fact]
    public void APairedBlasAddsItsFiguresAndRatiosToEveryGemmRow()
    {
        string? library = new[]
        {
            "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", "/usr/lib/x86_64-linux-gnu/libblas.so.3",
            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3", "/usr/lib/aarch64-linux-gnu/libblas.so.3",
        }.FirstOrDefault(File.Exists);
        if (library is null) return;

        var result = CliRunner.Run("bench", "--quick", "--json", "--only", "gemm", "--threads", "2", "--blas", library);
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}; stderr: {result.Error}");
        using var report = JsonDocument.Parse(result.Output);
        foreach (var row in report.RootElement.GetProperty("gemm").EnumerateArray())
        {
            var paired = row.GetProperty("paired_reference");
            Assert.Equal(library, paired.GetProperty("library").GetString());
            Assert.True(paired.GetProperty("gflops").GetProperty("median").GetDouble() > 0);
            Assert.True(paired.GetProperty("pause_after_seconds").GetDouble() >= 0);
            var ratio = paired.GetProperty("ratio");
            Assert.True(ratio.GetProperty("median").GetDouble() > 0);
            Assert.Equal(row.GetProperty("gflops").GetProperty("repetitions").GetInt32(), ratio.GetProperty("repetitions").GetInt32());
        }
    }

    /// <summary>
    /// OpenBLAS's threads spin 2^OPENBLAS_THREAD_TIMEOUT cycles after a call (28 by default, clamped to 4..30, as the
    /// library does); the paired bench waits that long at a slow 1.5 GHz so that they never share MyTorch's half.
    /// </summary>
    [Theory]
    [InlineData(null, 28)]
    [InlineData("", 28)]
    [InlineData("not a number", 28)]
    [InlineData("20", 20)]
    [InlineData("1", 4)]
    [InlineData("40", 30)]
    public void TheReferenceSpinFollowsOpenBlasThreadTimeout(string? setting, int exponent)
    {
        double expected = (1L << exponent) / 1.5e9;
        double seconds = ReferenceBlas.OpenBlasThreadSpin(setting).TotalSeconds;
        Assert.InRange(seconds, expected - 1e-7, expected + 1e-7); // a TimeSpan counts in 100 ns ticks
    }
}
