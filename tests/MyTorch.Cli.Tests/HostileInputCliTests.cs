using System.Diagnostics;
using System.Text;
using MyTorch.Cli.Training;
using MyTorch.IO;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary>
/// The classes of hostile input through the real program: each is exit code 2 and one error line under 500 bytes
/// with no control character, saying what was given and what was expected; checkpoints that would resume inexactly
/// are refused; two trainings cannot share one --out folder.
/// </summary>
public sealed class HostileInputCliTests(HostileInputCliTests.TrainedRuns runs) : IClassFixture<HostileInputCliTests.TrainedRuns>
{
    /// <summary>One small SGD run and one Adam run, trained once for the tests that only read their files.</summary>
    public sealed class TrainedRuns : IDisposable
    {
        private readonly TempFolder folder = new();
        private readonly Lazy<string> sgd, adam;

        public TrainedRuns()
        {
            sgd = new(() => TrainSmall(folder, "sgd", "--optimizer", "sgd"));
            adam = new(() => TrainSmall(folder, "adam", "--optimizer", "adam"));
        }

        public string Run(string optimizer) => optimizer == "adam" ? adam.Value : sgd.Value;

        public void Dispose() => folder.Dispose();
    }

    private static void AssertOneCleanLine(CliRunner.Result result, params string[] fragments)
    {
        Assert.True(result.ExitCode == 2, $"exit code {result.ExitCode}; stderr: {result.Error}");
        string line = result.Error.TrimEnd('\n');
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain(line, c => char.IsControl(c) || c is '\u202e' or '\u2028');
        Assert.True(Encoding.UTF8.GetByteCount(line) < 500, $"{Encoding.UTF8.GetByteCount(line)} bytes: {line}");
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter '", line, StringComparison.Ordinal);
        foreach (var fragment in fragments) Assert.Contains(fragment, line, StringComparison.Ordinal);
    }

    private static string TrainSmall(TempFolder folder, string name, params string[] extra)
    {
        string run = folder[name];
        var result = CliRunner.Run(["train", "--hidden", "8", "--epochs", "1", "--json", "--out", run, .. extra]);
        Assert.True(result.ExitCode == 0, result.Error);
        return run;
    }

    [Fact]
    public void FilesAndFoldersGivenForEachOther_SayWhatWasGivenAndExpected()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["images"], "not a folder");
        AssertOneCleanLine(CliRunner.Run("train", "--data", folder["images"], "--epochs", "1"), "it is a file, not a folder", "--data takes");
        Directory.CreateDirectory(folder["model.safetensors"]);
        AssertOneCleanLine(CliRunner.Run("eval", "--model", folder["model.safetensors"]), "--model", "it is a folder", "expected a model.safetensors");
        Directory.CreateDirectory(folder["data.csv"]);
        AssertOneCleanLine(CliRunner.Run("train", "--data", folder["data.csv"], "--epochs", "1"), "--data", "it is a folder");
    }

    [Fact]
    public void DevicesGivenAsFiles_AreRefusedAtOnce()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var folder = new TempFolder();
        File.CreateSymbolicLink(folder["zero.csv"], "/dev/zero");
        var clock = Stopwatch.StartNew();
        AssertOneCleanLine(CliRunner.Run("train", "--data", folder["zero.csv"], "--epochs", "1", "--out", folder["run"]), "character device");
        AssertOneCleanLine(CliRunner.Run("eval", "--model", "/dev/zero"), "character device");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void ACsvWithOnlyTheLabelColumn_SaysThereAreNoFeatures()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["labels.csv"], "label\n0\n1\n0\n1\n");
        AssertOneCleanLine(CliRunner.Run("train", "--data", folder["labels.csv"], "--epochs", "1", "--out", folder["run"]),
            "no feature columns are left beside the target 'label'");
    }

    [Fact]
    public void ControlCharactersAndLongTextInFiles_NeverReachTheTerminalRaw()
    {
        using var folder = new TempFolder();
        string evil = "x\u001b[2J\u001b]0;owned\u0007\nerror: forged line\0" + new string('A', 100_000);
        File.WriteAllText(folder["bad.csv"], $"a,\"{evil}\",label\n1,2,0\n3,\"{evil}\",1\n");
        AssertOneCleanLine(CliRunner.Run("train", "--data", folder["bad.csv"], "--epochs", "1", "--out", folder["run"]), "more characters)");
    }

    [Fact]
    public void PredictOutput_EscapesAndQuotesNamesFromTheModelFile()
    {
        using var folder = new TempFolder();
        var rows = new StringBuilder("a,\"\u001b[31mprice\nevil,row\"\n");
        for (int i = 0; i < 20; i++) rows.Append(i).Append(',').Append(2 * i + 1).Append('\n');
        File.WriteAllText(folder["data.csv"], rows.ToString());
        string run = TrainSmall(folder, "run", "--data", folder["data.csv"], "--task", "regression");
        File.WriteAllText(folder["input.csv"], "a\n1\n2\n");
        var result = CliRunner.Run("predict", "--model", Path.Combine(run, "model.safetensors"), "--input", folder["input.csv"]);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.DoesNotContain(result.Output, c => char.IsControl(c) && c != '\n' && c != '\r');
        var lines = result.Output.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("\"\\x1B[31mprice\\nevil,row\"", lines[0]);
    }

    [Fact]
    public void AModelFileGivenToResume_SaysItIsNotACheckpoint()
    {
        using var folder = new TempFolder();
        string run = runs.Run("sgd");
        AssertOneCleanLine(CliRunner.Run("train", "--resume", Path.Combine(run, "model.safetensors"), "--out", folder["next"]),
            "it is a model file, not a checkpoint", "checkpoint.safetensors");
    }

    [Theory]
    [InlineData("sgd", "adam", "SGD's but its configuration trains with Adam")]
    [InlineData("adam", "sgd", "Adam's but its configuration trains with SGD")]
    public void ACheckpointWithAnotherOptimizersState_IsRefusedNamingBoth(string written, string claimed, string fragment)
    {
        using var folder = new TempFolder();
        string run = runs.Run(written);
        var dict = Safetensors.Load(Path.Combine(run, "checkpoint.safetensors"));
        dict.Metadata["config"] = dict.Metadata["config"].Replace($"\"optimizer\":\"{written}\"", $"\"optimizer\":\"{claimed}\"", StringComparison.Ordinal);
        // A tool that rewrote the configuration and the optimizer's name but kept its state.
        dict.Metadata["optimizer.optimizer"] = claimed == "adam" ? "Adam" : "SGD";
        Safetensors.Save(folder["edited.safetensors"], dict);
        AssertOneCleanLine(CliRunner.Run("train", "--resume", folder["edited.safetensors"], "--epochs", "2", "--out", folder["resumed"]), fragment);
    }

    [Theory]
    [InlineData("optimizer.state.0.step", "-1e308")]
    [InlineData("optimizer.step", "-1")]
    [InlineData("optimizer.group.0.beta1", "1.5")]
    [InlineData("optimizer.group.0.eps", "-1e-8")]
    public void ACorruptOptimizerField_IsNamed(string key, string value)
    {
        using var folder = new TempFolder();
        string run = runs.Run("adam");
        var dict = Safetensors.Load(Path.Combine(run, "checkpoint.safetensors"));
        Assert.True(dict.Metadata.ContainsKey(key), key);
        dict.Metadata[key] = value;
        Safetensors.Save(folder["corrupt.safetensors"], dict);
        AssertOneCleanLine(CliRunner.Run("train", "--resume", folder["corrupt.safetensors"], "--epochs", "2", "--out", folder["resumed"]),
            $"'{key["optimizer.".Length..]}'", value);
    }

    [Fact]
    public void TemporaryFilesLeftByAKilledWrite_AreRemovedByTheNextRun()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder["run"]);
        string leftover = Path.Combine(folder["run"], ".checkpoint.safetensors." + Guid.NewGuid().ToString("N") + ".tmp");
        string unrelated = Path.Combine(folder["run"], ".notes.tmp");
        File.WriteAllText(leftover, "half a checkpoint");
        File.WriteAllText(unrelated, "a user's file");
        TrainSmall(folder, "run");
        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(unrelated));
        Assert.False(File.Exists(Path.Combine(folder["run"], OutputLock.FileName)), "the lock outlived the run");
    }

    [Fact]
    public void ASecondTrainingIntoTheSameFolder_IsRefusedNamingTheHolder()
    {
        using var folder = new TempFolder();
        string run = folder["run"];
        // This test process stands in for a training that is still running.
        using (OutputLock.Acquire(run))
        {
            AssertOneCleanLine(CliRunner.Run("train", "--hidden", "8", "--epochs", "1", "--out", run),
                $"another training (process {Environment.ProcessId} started", "choose another --out");
        }
        Assert.False(File.Exists(Path.Combine(run, OutputLock.FileName)));
    }

    [Fact]
    public void AStaleLock_IsTakenOver()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder["run"]);
        using var exited = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        exited.WaitForExit();
        File.WriteAllText(Path.Combine(folder["run"], OutputLock.FileName), $"process {exited.Id} started 2020-01-01T00:00:00Z");
        TrainSmall(folder, "run");
        File.WriteAllText(Path.Combine(folder["run"], OutputLock.FileName), "garbage");
        TrainSmall(folder, "run");
    }

    [Fact]
    public void UnderAHeapLimit_ADataSetTooLargeIsAnErrorNotAnUnexpectedOutOfMemory()
    {
        using var folder = new TempFolder();
        // 40 MB of zeros: as text, cells and a float copy, several times a 128 MB heap.
        using (var writer = new StreamWriter(folder["big.csv"]))
        {
            writer.Write(string.Join(',', Enumerable.Range(0, 50).Select(i => $"c{i}")) + ",label\n");
            string row = string.Join(',', Enumerable.Repeat("0", 51)) + "\n";
            for (int i = 0; i < 400_000; i++) writer.Write(row);
        }
        var limit = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x8000000" };
        var result = CliRunner.RunWith(limit, "train", "--data", folder["big.csv"], "--hidden", "8", "--epochs", "1", "--out", folder["run"]);
        AssertOneCleanLine(result, "too large for the memory available");
        Assert.DoesNotContain("unexpected", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void AModelWith65536Classes_IsEvaluatedWithoutAClassesSquaredMatrix()
    {
        using var folder = new TempFolder();
        var rows = new StringBuilder("a,b,label\n");
        for (int i = 0; i < 60; i++) rows.Append(i % 7).Append(',').Append(i % 5).Append(',').Append(i == 0 ? 65535 : i % 3).Append('\n');
        File.WriteAllText(folder["wide.csv"], rows.ToString());
        var train = CliRunner.Run("train", "--data", folder["wide.csv"], "--hidden", "", "--epochs", "1", "--json", "--out", folder["run"]);
        Assert.True(train.ExitCode == 0, train.Error);
        var eval = CliRunner.Run("eval", "--model", Path.Combine(folder["run"], "model.safetensors"));
        Assert.True(eval.ExitCode == 0, eval.Error);
        Assert.Contains("most frequent mistakes", eval.Output, StringComparison.Ordinal);
        Assert.Contains("(65536 classes)", eval.Output, StringComparison.Ordinal);
    }
}
