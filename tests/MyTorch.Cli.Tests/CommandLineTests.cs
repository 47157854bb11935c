using System.IO.Compression;
using System.Text.Json;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>The mytorch program as a user runs it: exit codes, messages, files written.</summary>
public class CommandLineTests
{
    private static void AssertCleanError(CliRunner.Result result, int exitCode, params string[] fragments)
    {
        Assert.True(result.ExitCode == exitCode, $"exit code {result.ExitCode}, expected {exitCode}; stderr: {result.Error}");
        foreach (var fragment in fragments) Assert.Contains(fragment, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--epochs", "-3")]
    [InlineData("--hidden", "0")]
    [InlineData("--batch-size", "0")]
    [InlineData("--activation", "swish")]
    [InlineData("--optimizer", "lbfgs")]
    public void InvalidOptionsPrintOneLineAndWhereTheHelpIsAndExitWith2(string option, string value)
    {
        var result = CliRunner.Run("train", option, value);
        AssertCleanError(result, 2, option, "Run 'mytorch train --help' to see its options.");
        Assert.DoesNotContain("Usage:", result.Error, StringComparison.Ordinal);
        Assert.Equal(2, result.Error.Trim().Split('\n').Length);
    }

    [Fact]
    public void InvalidValuesCaughtAfterParsingNameTheOption()
    {
        AssertCleanError(CliRunner.Run("train", "--dropout", "1.5"), 2, "--dropout");
        AssertCleanError(CliRunner.Run("train", "--batchnorm", "5"), 2, "--batchnorm");
        AssertCleanError(CliRunner.Run("train", "--lr", "-1"), 2, "--lr");
    }

    [Fact]
    public void AMissingDataFolderIsNamed()
    {
        AssertCleanError(CliRunner.Run("train", "--data", "/no/such/folder"), 2, "/no/such/folder", "does not exist");
    }

    [Fact]
    public void AMissingIdxFileIsNamedWithWhereItWasLookedFor()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("train", "--data", folder.Path);
        AssertCleanError(result, 2, "train-images-idx3-ubyte", folder.Path);
    }

    [Fact]
    public void ACorruptIdxFileGivesTheFileAndTheOffset()
    {
        using var folder = new TempFolder();
        foreach (var file in Directory.GetFiles(Path.Combine(CliRunner.RepositoryRoot, "data", "mnist-10k"), "*.gz"))
            File.Copy(file, folder[Path.GetFileName(file)]);
        // A valid gzip stream holding a truncated image file: the header promises 8000 images.
        var images = folder["train-images-idx3-ubyte.gz"];
        byte[] raw;
        using (var input = new GZipStream(File.OpenRead(images), CompressionMode.Decompress))
        using (var buffer = new MemoryStream()) { input.CopyTo(buffer); raw = buffer.ToArray(); }
        using (var output = new GZipStream(File.Create(images), CompressionLevel.Fastest))
            output.Write(raw, 0, 5000);
        var result = CliRunner.Run("train", "--data", folder.Path);
        AssertCleanError(result, 2, "train-images-idx3-ubyte.gz", "offset");
    }

    [Fact]
    public void ABadCsvCellGivesTheRowColumnAndText()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["bad.csv"], "a,b,label\n1,2,0\n3,oops,1\n");
        var result = CliRunner.Run("train", "--data", folder["bad.csv"]);
        AssertCleanError(result, 2, "bad.csv", "row 3", "'b'", "oops");
    }

    [Fact]
    public void ACorruptModelFileIsReported()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder["model.safetensors"], [1, 2, 3]);
        AssertCleanError(CliRunner.Run("eval", "--model", folder["model.safetensors"]), 2, "model.safetensors");
        AssertCleanError(CliRunner.Run("predict", "--model", folder["missing.safetensors"], "--input", "x.csv"), 2, "missing.safetensors");
    }

    [Fact]
    public void AnUnwritableOutputFolderFailsBeforeTraining()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["file"], "");
        var result = CliRunner.Run("train", "--out", Path.Combine(folder["file"], "run"));
        AssertCleanError(result, 2, "file");
    }

    [Fact]
    public void ADivergingLossStopsWithTheEpochAndBatchAndKeepsNoBrokenCheckpoint()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("train", "--lr", "1e30", "--hidden", "16", "--epochs", "2", "--out", folder.Path);
        AssertCleanError(result, 3, "epoch 1, batch", "lower learning rate");
        Assert.False(File.Exists(folder["checkpoint.safetensors"]));
    }

    [Fact]
    public void JsonModePrintsOneObjectOfFinalMetricsAndWritesTheRunFiles()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("train", "--hidden", "32", "--epochs", "2", "--json", "--out", folder.Path);
        Assert.True(result.ExitCode == 0, result.Error);
        using var metrics = JsonDocument.Parse(result.Output);
        var root = metrics.RootElement;
        Assert.Equal(2, root.GetProperty("epochs").GetArrayLength());
        Assert.InRange(root.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.8, 1);
        Assert.Equal(42UL, root.GetProperty("seed").GetUInt64());
        Assert.Equal("[32]", root.GetProperty("config").GetProperty("hidden").GetRawText());
        foreach (var file in new[] { "metrics.json", "training-curves.png", "model.safetensors", "checkpoint.safetensors" })
            Assert.True(File.Exists(folder[file]), file + " missing");
        var png = File.ReadAllBytes(folder["training-curves.png"]);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Contains("epoch 2:", result.Error, StringComparison.Ordinal);

        var eval = CliRunner.Run("eval", "--model", folder["model.safetensors"], "--json", "--threads", "1");
        Assert.True(eval.ExitCode == 0, eval.Error);
        using var evaluation = JsonDocument.Parse(eval.Output);
        Assert.Equal(root.GetProperty("test").GetProperty("accuracy").GetDouble(), evaluation.RootElement.GetProperty("accuracy").GetDouble(), 6);

        var badThreads = CliRunner.Run("predict", "--model", folder["model.safetensors"], "--input", "x.csv", "--threads", "0");
        Assert.Equal(2, badThreads.ExitCode);
        Assert.Contains("--threads", badThreads.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ResumingThroughTheCommandLineMatchesAStraightRun()
    {
        using var folder = new TempFolder();
        string[] common = ["train", "--hidden", "24", "--dropout", "0.1", "--json", "--seed", "3"];
        var straight = CliRunner.Run([.. common, "--epochs", "3", "--out", folder["straight"]]);
        var first = CliRunner.Run([.. common, "--epochs", "1", "--out", folder["first"]]);
        var resumed = CliRunner.Run("train", "--resume", Path.Combine(folder["first"], "checkpoint.safetensors"), "--epochs", "3", "--json", "--out", folder["resumed"]);
        Assert.True(straight.ExitCode == 0 && first.ExitCode == 0 && resumed.ExitCode == 0, straight.Error + first.Error + resumed.Error);
        using var a = JsonDocument.Parse(straight.Output);
        using var b = JsonDocument.Parse(resumed.Output);
        Assert.Equal(a.RootElement.GetProperty("test").GetRawText(), b.RootElement.GetProperty("test").GetRawText());
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder["straight"], "model.safetensors")), File.ReadAllBytes(Path.Combine(folder["resumed"], "model.safetensors")));
    }

    [Fact]
    public void RegressionReportsOriginalUnitsAndPredictsThem()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("train", "--task", "regression", "--data", "data/tabular/houses.csv", "--target", "price,age",
            "--hidden", "32", "--epochs", "15", "--optimizer", "adam", "--lr", "0.003", "--output-activation", "softplus", "--json", "--out", folder.Path);
        Assert.True(result.ExitCode == 0, result.Error);
        using var metrics = JsonDocument.Parse(result.Output);
        var test = metrics.RootElement.GetProperty("test");
        Assert.InRange(test.GetProperty("mae").GetDouble(), 0, 400);
        Assert.True(test.TryGetProperty("mse", out _));

        File.WriteAllText(folder["new.csv"], "area,rooms,distance,quality,year_built\n173.35,7,8.79,0.49,1974\n30,1,39,0.01,1926\n");
        var prediction = CliRunner.Run("predict", "--model", folder["model.safetensors"], "--input", folder["new.csv"]);
        Assert.True(prediction.ExitCode == 0, prediction.Error);
        var lines = prediction.Output.Trim().Split('\n');
        Assert.Equal("price,age", lines[0]);
        var first = lines[1].Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.InRange(first[0], 4500, 7500);   // original units: about 6,000
        Assert.InRange(first[1], 35, 65);       // about 49 years
        var second = lines[2].Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.True(second[0] >= 0, "softplus keeps the price non-negative");
    }

    [Fact]
    public void BinaryClassificationWorksWithEitherLoss()
    {
        foreach (var loss in new[] { "ce", "bce" })
        {
            using var folder = new TempFolder();
            var result = CliRunner.Run("train", "--data", "data/tabular/diabetes-risk.csv", "--target", "label", "--loss", loss,
                "--hidden", "16", "--epochs", "20", "--json", "--out", folder.Path);
            Assert.True(result.ExitCode == 0, result.Error);
            using var metrics = JsonDocument.Parse(result.Output);
            Assert.InRange(metrics.RootElement.GetProperty("test").GetProperty("accuracy").GetDouble(), 0.68, 1);
        }
    }
}
