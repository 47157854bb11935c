using Xunit;
using Xunit.Abstractions;

namespace MyTorch.Tests.Fuzz;

/// <summary>
/// Fuzzes every reader with thousands of mutated valid files: only <see cref="MyTorch.IO.DataFormatException"/> may
/// escape, and each input must finish in bounded time and allocation. Counts scale with MYTORCH_FUZZ_ITERATIONS.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class ReaderFuzzTests(ITestOutputHelper output)
{
    private void Check(FuzzTarget target, IEnumerable<byte[]> inputs)
    {
        var report = FuzzRunner.Run(target, inputs);
        output.WriteLine(report.ToString());
        Assert.True(report.Failures.Count == 0, FuzzRunner.Describe(report));
        Assert.True(report.Rejected > 0, $"{target.Name}: no input was rejected; the mutator is not reaching the reader's checks.");
    }

    [Fact]
    public void Idx_RawFiles() =>
        Check(ReaderFuzzTargets.Idx, ReaderFuzzTargets.IdxInputs(FuzzRunner.Iterations(4000), FuzzRunner.Seed + 1, gzip: false));

    [Fact]
    public void Idx_GzipFiles() =>
        Check(ReaderFuzzTargets.IdxGzip, ReaderFuzzTargets.IdxInputs(FuzzRunner.Iterations(3000), FuzzRunner.Seed + 2, gzip: true));

    [Fact]
    public void Mnist_FourFileDataSets() =>
        Check(ReaderFuzzTargets.Mnist, ReaderFuzzTargets.MnistInputs(FuzzRunner.Iterations(2000), FuzzRunner.Seed + 3));

    [Fact]
    public void Csv_Files() =>
        Check(ReaderFuzzTargets.Csv, ReaderFuzzTargets.CsvInputs(FuzzRunner.Iterations(4000), FuzzRunner.Seed + 4));

    [Fact]
    public void Gzip_DamagedTrailersAndData_AreRejectedOrReadExactly() =>
        Check(HostileClassFuzzTargets.GzipIntegrity, HostileClassFuzzTargets.GzipIntegrityInputs(FuzzRunner.Iterations(1500), FuzzRunner.Seed + 6));

    [Fact]
    public void Gzip_DecompressionBombs_StopAtTheHeaderOrTheLimit() =>
        Check(HostileClassFuzzTargets.GzipBomb, HostileClassFuzzTargets.GzipBombInputs(FuzzRunner.Iterations(300), FuzzRunner.Seed + 7));

    [Fact]
    public void Safetensors_Files() =>
        Check(ReaderFuzzTargets.Safetensors, ReaderFuzzTargets.SafetensorsInputs(FuzzRunner.Iterations(4000), FuzzRunner.Seed + 5));

    [Fact]
    public void TorchSave_Archives() =>
        Check(TorchFileFuzzTargets.TorchSave, TorchFileFuzzTargets.Inputs(FuzzRunner.Iterations(3000), FuzzRunner.Seed + 8));
}

/// <summary>Replays every input that ever made a reader fail, kept under <c>tests/fuzz-regressions/</c>.</summary>
public sealed class FuzzRegressionTests(ITestOutputHelper output)
{
    public static TheoryData<string> Targets() => new(ReaderFuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void KeptFailingInputs_AreRejectedCleanly(string name)
    {
        var target = ReaderFuzzTargets.All.Single(t => t.Name == name);
        var (replayed, problems) = FuzzRunner.Replay(target);
        output.WriteLine($"{name}: replayed {replayed} kept inputs");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
