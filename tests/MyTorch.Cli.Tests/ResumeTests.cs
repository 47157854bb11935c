using MyTorch.Cli.Training;
using Xunit;

namespace MyTorch.Cli.Tests;

public class ResumeTests
{
    private static TrainConfig Config(int epochs) => new TrainConfig
    {
        Hidden = [32],
        BatchNorm = 1,
        Dropout = 0.2,
        Optimizer = "adam",
        Epochs = epochs,
        BatchSize = 128,
        Seed = 7,
    }.Validate();

    private static void RunQuietly(Trainer trainer) => trainer.Run(new NullReporter());

    private sealed class NullReporter : ITrainingReporter
    {
        public void Start(TrainConfig config, PreparedData data, MyTorch.NN.Module model, int epochsDone) { }
        public void Batch(int epoch, int batch, int batches, double loss, double errorRate, double samplesPerSecond) { }
        public void Epoch(EpochRecord record) { }
        public void Finish() { }
    }

    /// <summary>
    /// Training 2 epochs, stopping, and resuming for 2 more gives the same weights and metrics, bit for bit, as 4
    /// epochs in one run: with dropout (generator state), BatchNorm (running statistics), Adam (moments) and the
    /// default exponential learning-rate schedule.
    /// </summary>
    [Theory]
    [InlineData("sgd")]
    [InlineData("rmsprop")]
    [InlineData("adagrad")]
    public void ResumingContinuesBitForBit(string optimizer)
    {
        TrainConfig Config(int epochs) => ResumeTests.Config(epochs) with { Optimizer = optimizer };
        using var folder = new TempFolder();
        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(CliRunner.RepositoryRoot);
        try
        {
            var straight = Trainer.Create(Config(4), DataPreparation.Prepare(Config(4)), folder["straight"]);
            RunQuietly(straight);

            var first = Trainer.Create(Config(2), DataPreparation.Prepare(Config(2)), folder["first"]);
            RunQuietly(first);
            var resumed = Trainer.Resume(Path.Combine(folder["first"], "checkpoint.safetensors"), 4, folder["resumed"], DataPreparation.Prepare);
            RunQuietly(resumed);

            var expected = straight.Model.StateDict();
            var actual = resumed.Model.StateDict();
            Assert.Equal(expected.Keys, actual.Keys);
            foreach (var (key, value) in expected)
                Assert.True(value.ToArray().SequenceEqual(actual[key].ToArray()), $"{key} differs after resuming");
            Assert.Equal(4, resumed.History.Epochs.Count);
            for (int e = 0; e < 4; e++)
            {
                var (a, b) = (straight.History.Epochs[e], resumed.History.Epochs[e]);
                Assert.Equal(a.TrainLoss, b.TrainLoss);
                Assert.Equal(a.TrainError, b.TrainError);
                Assert.Equal(a.ValidationLoss, b.ValidationLoss);
                Assert.Equal(a.ValidationError, b.ValidationError);
                Assert.Equal(a.LearningRate, b.LearningRate);
            }
            Assert.Equal(straight.Test(), resumed.Test(), new EvaluationComparer());
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    private sealed class EvaluationComparer : IEqualityComparer<EvaluationResult>
    {
        public bool Equals(EvaluationResult? x, EvaluationResult? y) =>
            x is not null && y is not null && x.Loss == y.Loss && x.Error == y.Error && x.Predictions.SequenceEqual(y.Predictions);

        public int GetHashCode(EvaluationResult obj) => obj.Loss.GetHashCode();
    }
}
