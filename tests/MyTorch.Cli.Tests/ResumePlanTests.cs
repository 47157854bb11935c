using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary><c>train --resume</c>: options that conflict with the checkpoint are an error naming them; nothing is trained silently or not at all.</summary>
public class ResumePlanTests
{
    private static string Checkpoint(TempFolder folder)
    {
        var first = CliRunner.Run("train", "--epochs", "2", "--hidden", "16", "--json", "--threads", "1", "--out", folder["first"]);
        Assert.True(first.ExitCode == 0, first.Error);
        return Path.Combine(folder["first"], "checkpoint.safetensors");
    }

    [Fact]
    public void Conflicting_options_unfinished_runs_and_the_plan()
    {
        using var folder = new TempFolder();
        var checkpoint = Checkpoint(folder);

        var conflict = CliRunner.Run("train", "--resume", checkpoint, "--hidden", "64", "--lr", "0.5", "--epochs", "3", "--out", folder["a"]);
        Assert.Equal(2, conflict.ExitCode);
        var line = Assert.Single(conflict.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--hidden 64 (the checkpoint's run has 16)", line, StringComparison.Ordinal);
        Assert.Contains("--lr 0.5 (the checkpoint's run has 0.05)", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder["a"]) && File.Exists(Path.Combine(folder["a"], "model.safetensors")));

        var finished = CliRunner.Run("train", "--resume", checkpoint, "--out", folder["b"]);
        Assert.Equal(2, finished.ExitCode);
        Assert.Contains("finished all 2 of its 2 epochs", finished.Error, StringComparison.Ordinal);
        Assert.Contains("--epochs", finished.Error, StringComparison.Ordinal);

        var backwards = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "1", "--out", folder["c"]);
        Assert.Equal(2, backwards.ExitCode);
        Assert.Contains("Invalid value '1' for option --epochs", backwards.Error, StringComparison.Ordinal);

        // --epochs equal to the epochs done writes the outputs a run killed after its last checkpoint never wrote.
        var outputs = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "2", "--threads", "1", "--out", folder["c2"]);
        Assert.True(outputs.ExitCode == 0, outputs.Error);
        Assert.StartsWith($"resuming {checkpoint}: 2 epochs done; no epochs left to train", outputs.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder["c2"], "model.safetensors")));

        // Options equal to the checkpoint's, and the ones about this process, are fine; the plan comes first.
        var resumed = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "3", "--hidden", "16", "--lr", "0.05", "--threads", "1", "--out", folder["d"]);
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.StartsWith($"resuming {checkpoint}: 2 epochs done; training epoch 3 of 3", resumed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void An_interrupted_run_resumes_to_its_own_total_without_epochs()
    {
        using var folder = new TempFolder();
        var checkpoint = Checkpoint(folder);
        // The checkpoint of a 2-epoch run, edited to say it was meant to run 4: what a stopped run leaves.
        var dict = MyTorch.IO.Safetensors.Load(checkpoint);
        dict.Metadata["config"] = dict.Metadata["config"].Replace("\"epochs\":2", "\"epochs\":4", StringComparison.Ordinal);
        MyTorch.IO.Safetensors.Save(folder["stopped.safetensors"], dict);
        var resumed = CliRunner.Run("train", "--resume", folder["stopped.safetensors"], "--json", "--threads", "1", "--out", folder["e"]);
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("2 epochs done; training epochs 3 to 4 of 4", resumed.Error, StringComparison.Ordinal);
        Assert.Equal("4", MyTorch.IO.Safetensors.Load(Path.Combine(folder["e"], "checkpoint.safetensors")).Metadata["epoch"]);
    }
}
