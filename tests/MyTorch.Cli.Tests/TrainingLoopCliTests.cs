using System.Text.Json;
using MyTorch.Cli.Reporting;
using MyTorch.Cli.Training;
using Xunit;

namespace MyTorch.Cli.Tests;

/// <summary><c>mytorch train</c> on the library's training loop: early stopping, the model kept, Ctrl-C, the per-epoch logs, the live line's width.</summary>
public class TrainingLoopCliTests
{
    private static JsonElement Metrics(TempFolder folder)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(folder["metrics.json"]));
        return document.RootElement.Clone();
    }

    /// <summary>
    /// The default run's validation loss is lowest at epoch 5 and rises at 6: with --early-stopping 1 the run stops
    /// after epoch 6, and the model saved is epoch 5's, as metrics.json says.
    /// </summary>
    [Fact]
    public void EarlyStoppingStopsAfterPatienceAndTheBestEpochIsSaved()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("train", "--early-stopping", "1", "--json", "--out", folder.Path);
        Assert.True(result.ExitCode == 0, result.Error);
        var metrics = Metrics(folder);
        Assert.Equal(6, metrics.GetProperty("epochs").GetArrayLength());
        Assert.Equal("early-stopping", metrics.GetProperty("stopped").GetString());
        Assert.Equal(5, metrics.GetProperty("model_epoch").GetInt32());
        Assert.Equal(5, metrics.GetProperty("best_epoch").GetInt32());
        Assert.Contains("Stopped early after epoch 6", result.Error, StringComparison.Ordinal);
        Assert.Contains("holds epoch 5", result.Error, StringComparison.Ordinal);
        Assert.Equal(7, File.ReadAllLines(folder["metrics.csv"]).Length);
        Assert.Equal(6, File.ReadAllLines(folder["metrics.jsonl"]).Length);

        var eval = CliRunner.Run("eval", "--model", folder["model.safetensors"], "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        using var evaluation = JsonDocument.Parse(eval.Output);
        Assert.Equal(metrics.GetProperty("test").GetProperty("accuracy").GetDouble(), evaluation.RootElement.GetProperty("accuracy").GetDouble(), 6);
    }

    [Fact]
    public void KeepLastSavesTheLastEpoch()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("train", "--hidden", "32", "--epochs", "3", "--lr", "0.5", "--keep", "last", "--json", "--out", folder.Path);
        Assert.True(result.ExitCode == 0, result.Error);
        var metrics = Metrics(folder);
        Assert.Equal(3, metrics.GetProperty("model_epoch").GetInt32());
        Assert.Equal("last", metrics.GetProperty("keep").GetString());
        Assert.DoesNotContain("holds epoch", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void BadEarlyStoppingAndKeepValuesAreOneLineErrors()
    {
        var zero = CliRunner.Run("train", "--early-stopping", "0");
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--early-stopping", zero.Error, StringComparison.Ordinal);
        var keep = CliRunner.Run("train", "--keep", "first");
        Assert.Equal(2, keep.ExitCode);
        Assert.Contains("--keep", keep.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ANonFiniteLossInTheFirstEpochSaysNothingIsKeptAndLeavesNothing()
    {
        using var folder = new TempFolder();
        var result = CliRunner.Run("train", "--lr", "1e30", "--hidden", "16", "--epochs", "2", "--out", folder.Path);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Nothing is kept", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    /// <summary>
    /// What Ctrl-C does, in process: the token is cancelled inside epoch 2, the run stops at the next batch boundary with
    /// one finished epoch and its checkpoint, and resuming from that checkpoint gives the same epochs, bit for bit, as a
    /// run that was never interrupted.
    /// </summary>
    [Fact]
    public void ACancelledRunKeepsTheLastFinishedEpochsCheckpointAndResumesBitForBit()
    {
        using var folder = new TempFolder();
        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(CliRunner.RepositoryRoot);
        try
        {
            var config = new TrainConfig { Hidden = [32], Epochs = 3, BatchSize = 128, Seed = 3 }.Validate();
            var straight = Trainer.Create(config, DataPreparation.Prepare(config), folder["straight"]);
            straight.Run(new CancellingReporter(null));

            using var cancel = new CancellationTokenSource();
            var interrupted = Trainer.Create(config, DataPreparation.Prepare(config), folder["interrupted"]);
            interrupted.Run(new CancellingReporter(cancel), cancel.Token);
            Assert.Equal(MyTorch.TrainingLoop.StopReason.Cancelled, interrupted.StopReason);
            Assert.Equal((2, 6), interrupted.StoppedAt);
            Assert.Single(interrupted.History.Epochs);
            Assert.Single(File.ReadAllLines(Path.Combine(folder["interrupted"], "metrics.jsonl")));

            var resumed = Trainer.Resume(Path.Combine(folder["interrupted"], "checkpoint.safetensors"), 3, folder["resumed"], DataPreparation.Prepare);
            resumed.Run(new CancellingReporter(null));
            Assert.Equal(straight.History.Epochs.Select(e => e.ValidationLoss), resumed.History.Epochs.Select(e => e.ValidationLoss));
            Assert.Equal(3, File.ReadAllLines(Path.Combine(folder["resumed"], "metrics.jsonl")).Length);
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    /// <summary>Cancels the run after batch 5 of epoch 2, as a Ctrl-C would.</summary>
    private sealed class CancellingReporter(CancellationTokenSource? cancel) : ITrainingReporter
    {
        public void Start(TrainConfig config, PreparedData data, MyTorch.NN.Module model, int epochsDone) { }
        public void Batch(int epoch, int batch, int batches, double loss, double errorRate, double samplesPerSecond)
        {
            if (epoch == 2 && batch == 5) cancel?.Cancel();
        }
        public void Epoch(EpochRecord record) { }
        public void Finish() { }
    }

    [Theory]
    [InlineData(120)]
    [InlineData(80)]
    [InlineData(50)]
    [InlineData(30)]
    [InlineData(8)]
    public void TheLiveLineFitsItsWidthDroppingTheLastFieldsFirst(int width)
    {
        string[] fields = ["epoch  3/10", "loss 0.1234", "left 1:05", "error 0.0312", "lr 0.04", "51234/s"];
        string line = StatusLine.Fit(fields, width);
        Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}");
        Assert.StartsWith(width >= 11 ? "epoch  3/10" : "epoch  3/1"[..Math.Min(width, 10)], line, StringComparison.Ordinal);
        if (width >= 80) Assert.Equal(string.Join("  ", fields), line);
        if (width == 30) Assert.Equal("epoch  3/10  loss 0.1234", line);
    }

    [Fact]
    public void DurationsReadAsMinutesOrHours()
    {
        Assert.Equal("1:05", StatusLine.Duration(TimeSpan.FromSeconds(65)));
        Assert.Equal("2:03:04", StatusLine.Duration(new TimeSpan(2, 3, 4)));
    }
}
