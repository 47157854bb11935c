using System.Diagnostics;
using MyTorch.IO;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>
/// Small hostile files given to the real program: each is a clear error with exit code 2, quickly, where the
/// unchecked code allocated gigabytes, or crashed with an exception no user should see.
/// </summary>
public sealed class HostileFileCliTests
{
    private static void AssertQuickCleanError(Func<CliRunner.Result> run, params string[] fragments)
    {
        var clock = Stopwatch.StartNew();
        var result = run();
        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}; stderr: {result.Error}");
        foreach (var fragment in fragments) Assert.Contains(fragment, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    /// <summary>A 60-byte CSV whose label 100,000,000 once sized a 7 GB output layer.</summary>
    [Fact]
    public void AHugeClassLabelIsAnErrorNamingTheRow()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["data.csv"], "a,b,label\n1,2,0\n3,4,100000000\n5,6,1\n");
        AssertQuickCleanError(() => CliRunner.Run("train", "--data", folder["data.csv"], "--hidden", "4", "--epochs", "1", "--out", folder["run"]),
            "data.csv", "row 3", "'label'", "class label is too large");
    }

    [Fact]
    public void ACsvFileWithoutDataRowsIsAnError()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["data.csv"], "a,b,label\n");
        AssertQuickCleanError(() => CliRunner.Run("train", "--data", folder["data.csv"], "--epochs", "1", "--out", folder["run"]),
            "data.csv", "no data rows");
    }

    /// <summary>A model whose configuration claims a network of 10^10 parameters is refused before anything is built.</summary>
    [Fact]
    public void AModelWhoseConfigurationDescribesAGiantNetworkIsRefusedBeforeBuildingIt()
    {
        using var folder = new TempFolder();
        var train = CliRunner.Run("train", "--hidden", "16", "--epochs", "1", "--json", "--out", folder.Path);
        Assert.True(train.ExitCode == 0, train.Error);
        var dict = Safetensors.Load(folder["model.safetensors"]);
        dict.Metadata["config"] = dict.Metadata["config"].Replace("\"hidden\":[16]", "\"hidden\":[100000,100000]", StringComparison.Ordinal);
        Safetensors.Save(folder["giant.safetensors"], dict);
        AssertQuickCleanError(() => CliRunner.Run("predict", "--model", folder["giant.safetensors"], "--input", "data/tabular/houses.csv"),
            "giant.safetensors", "far larger than the file");
    }

    /// <summary>Nulls in a checkpoint's configuration, which the command-line options can never produce.</summary>
    [Theory]
    [InlineData("\"data\":\"mnist\"", "\"data\":null")]
    [InlineData("\"target\":[]", "\"target\":null")]
    [InlineData("\"hidden\":[16]", "\"hidden\":null")]
    public void ACheckpointConfigurationWithNullsIsAFormatError(string from, string to)
    {
        using var folder = new TempFolder();
        var train = CliRunner.Run("train", "--hidden", "16", "--epochs", "1", "--json", "--out", folder.Path);
        Assert.True(train.ExitCode == 0, train.Error);
        var dict = Safetensors.Load(folder["checkpoint.safetensors"]);
        Assert.Contains(from, dict.Metadata["config"], StringComparison.Ordinal);
        dict.Metadata["config"] = dict.Metadata["config"].Replace(from, to, StringComparison.Ordinal);
        Safetensors.Save(folder["broken.safetensors"], dict);
        AssertQuickCleanError(() => CliRunner.Run("train", "--resume", folder["broken.safetensors"], "--epochs", "2", "--out", folder["resumed"]),
            "broken.safetensors", "configuration is invalid");
    }
}
