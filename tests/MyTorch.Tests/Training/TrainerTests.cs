using MyTorch.Data;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using MyTorch.TrainingLoop;
using Xunit;

namespace MyTorch.Tests.TrainingLoop;

public class TrainerTests
{
    /// <summary>Two noisy blobs in 4 dimensions, 3 classes: learnable in a few epochs.</summary>
    private static TensorDataset Blobs(int n, ulong seed)
    {
        var g = new Generator(seed);
        var x = new float[n * 4];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 3;
            for (int j = 0; j < 4; j++) x[i * 4 + j] = (float)(g.NextNormal() + (j == y[i] ? 2 : 0));
        }
        return new TensorDataset(Tensor.FromArray(x, [n, 4]), Tensor.FromArray(y));
    }

    private static (Trainer Trainer, DataLoader Train, DataLoader Validation) Setup(double lr = 0.1, ulong seed = 1)
    {
        var model = new Sequential(new Linear(4, 16, generator: new Generator(seed)), new ReLU(), new Linear(16, 3, generator: new Generator(seed + 1)));
        var trainer = new Trainer(model, new CrossEntropyLoss(), new SGD(model.Parameters(), lr, momentum: 0.9));
        trainer.Metrics.Add(Metric.Accuracy);
        var train = new DataLoader(Blobs(120, 3), 16, shuffle: true, generator: new Generator(5));
        var validation = new DataLoader(Blobs(60, 4), 32);
        return (trainer, train, validation);
    }

    private static float[][] Weights(Module model) => model.Parameters().Select(p => p.ToArray()).ToArray();

    [Fact]
    public void FitRecordsEveryEpochWithValidationMetricsAndReplaysCompiledSteps()
    {
        var (trainer, train, validation) = Setup();
        var history = trainer.Fit(train, 5, validation);
        Assert.Null(trainer.GraphReason);
        Assert.Equal(StopReason.Completed, history.StopReason);
        Assert.Equal([1, 2, 3, 4, 5], history.Epochs.Select(e => e.Epoch));
        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy"], history.Epochs[0].Metrics.Keys);
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss);
        Assert.True(history.Epochs[^1]["val_accuracy"] > 0.7, $"val accuracy {history.Epochs[^1]["val_accuracy"]}");
        Assert.Equal(history.Epochs.MinBy(e => e.ValidationLoss), history.Best("val_loss"));
    }

    [Fact]
    public void TheGraphFallbackGivesTheSameBitsAsTheCompiledStep()
    {
        var (compiled, train1, validation1) = Setup();
        var (graph, train2, validation2) = Setup();
        graph.UseCompiledStep = false;
        var a = compiled.Fit(train1, 3, validation1);
        var b = graph.Fit(train2, 3, validation2);
        Assert.NotNull(graph.GraphReason);
        Assert.Equal(a.Values("loss"), b.Values("loss"));
        Assert.Equal(a.Values("val_loss"), b.Values("val_loss"));
        Assert.Equal(Weights(compiled.Model), Weights(graph.Model));
    }

    [Fact]
    public void EarlyStoppingStopsAfterPatienceEpochsWithoutImprovementByMinDelta()
    {
        var (trainer, train, validation) = Setup();
        // A min delta no epoch can beat: the first epoch is the best, and the run stops patience epochs later.
        var stopping = new EarlyStopping("val_loss", patience: 2, minDelta: 1e6);
        trainer.Callbacks.Add(stopping);
        var history = trainer.Fit(train, 10, validation);
        Assert.Equal(StopReason.EarlyStopped, history.StopReason);
        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(1, stopping.BestEpoch);
        Assert.Equal(3, stopping.StoppedEpoch);
    }

    [Fact]
    public void EarlyStoppingNamesAMissingMetric()
    {
        var (trainer, train, _) = Setup();
        trainer.Callbacks.Add(new EarlyStopping("val_loss"));
        var error = Assert.Throws<InvalidOperationException>(() => trainer.Fit(train, 2));
        Assert.Contains("no metric 'val_loss'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeepBestModelRestoresTheWeightsOfTheBestEpoch()
    {
        var (trainer, train, validation) = Setup(lr: 0.5);
        float[][]? bestWeights = null;
        var keep = new KeepBestModel("val_loss");
        trainer.Callbacks.Add(keep);
        trainer.Callbacks.Add(new Spy(epochEnd: (t, e) =>
        {
            if (e.Epoch == t.History.Best("val_loss")!.Epoch) bestWeights = Weights(t.Model);
        }));
        var history = trainer.Fit(train, 6, validation);
        Assert.Equal(history.Best("val_loss")!.Epoch, keep.BestEpoch);
        Assert.Equal(bestWeights, Weights(trainer.Model));
    }

    [Fact]
    public void ACancelledRunStopsAtABatchBoundaryWithAUsableModelAndHistory()
    {
        var (trainer, train, validation) = Setup();
        using var cancel = new CancellationTokenSource();
        trainer.Callbacks.Add(new Spy(batchEnd: (epoch, batch) => { if (epoch == 2 && batch == 3) cancel.Cancel(); }));
        var history = trainer.Fit(train, 5, validation, cancel.Token);
        Assert.Equal(StopReason.Cancelled, history.StopReason);
        Assert.Equal((2, 4), history.StoppedAt);
        Assert.Single(history.Epochs);
        Assert.All(Weights(trainer.Model), w => Assert.All(w, v => Assert.True(float.IsFinite(v))));
        // The run continues from where it stopped.
        var resumed = trainer.Fit(train, 3, validation);
        Assert.Equal(StopReason.Completed, resumed.StopReason);
        Assert.Equal(3, resumed.Epochs.Count);
    }

    [Fact]
    public void ANonFiniteLossStopsTheRunBeforeThatBatchChangesAnyParameter()
    {
        var data = Blobs(64, 3);
        var values = data.Inputs.ToArray();
        values[40 * 4] = float.NaN;
        var inputs = Tensor.FromArray(values, [64, 4]);
        var (trainer, _, _) = Setup();
        float[][]? before = null;
        trainer.Callbacks.Add(new Spy(batchEnd: (_, batch) => { if (batch == 2) before = Weights(trainer.Model); }));
        var history = trainer.Fit(new DataLoader(new TensorDataset(inputs, data.Targets), 16), 2);
        Assert.Equal(StopReason.NonFiniteLoss, history.StopReason);
        Assert.Equal((1, 3), history.StoppedAt);
        Assert.True(double.IsNaN(history.StoppingLoss));
        Assert.Empty(history.Epochs);
        Assert.Equal(before, Weights(trainer.Model));
    }

    [Fact]
    public void GradientClippingTrainsOnTheGraphAndMatchesAHandWrittenLoop()
    {
        var (trainer, _, _) = Setup(lr: 0.5);
        trainer.MaxGradientNorm = 0.25;
        var data = Blobs(48, 3);
        trainer.Fit(new DataLoader(data, 16), 1);
        Assert.Contains("clipping", trainer.GraphReason, StringComparison.Ordinal);

        var (reference, _, _) = Setup(lr: 0.5);
        foreach (var (x, y) in new DataLoader(data, 16))
        {
            reference.Optimizer.ZeroGrad();
            reference.Loss.Forward(reference.Model.Forward(x), y).Backward();
            GradientClipping.ClipGradNorm(reference.Model.Parameters(), 0.25);
            reference.Optimizer.Step();
        }
        Assert.Equal(Weights(reference.Model), Weights(trainer.Model));
    }

    [Fact]
    public void OneCycleStepsEveryBatchAndReduceLROnPlateauEveryEpoch()
    {
        var (trainer, train, validation) = Setup();
        var oneCycle = new OneCycleLR(trainer.Optimizer, 0.2, epochs: 3, stepsPerEpoch: train.BatchCount);
        trainer.Callbacks.Add(new LearningRateSchedule(oneCycle));
        trainer.Fit(train, 3, validation);
        Assert.Equal(3 * train.BatchCount, oneCycle.LastEpoch);

        var (second, train2, validation2) = Setup();
        var plateau = new ReduceLROnPlateau(second.Optimizer, patience: 0, threshold: 10);
        second.Callbacks.Add(new LearningRateSchedule(plateau));
        var history = second.Fit(train2, 3, validation2);
        Assert.Equal(3, plateau.LastEpoch);
        Assert.Equal([0.1, 0.01, 0.001], history.Epochs.Select(e => Math.Round(e.LearningRate, 12)));
    }

    [Fact]
    public void MetricsAreAppendedAsJsonLinesAndCsvWhileTheRunGoes()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"mytorch-trainer-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var (trainer, train, validation) = Setup();
            string jsonl = Path.Combine(folder, "m.jsonl"), csv = Path.Combine(folder, "m.csv");
            trainer.Callbacks.Add(new MetricsLog(jsonl, MetricsLog.Format.JsonLines));
            trainer.Callbacks.Add(new MetricsLog(csv, MetricsLog.Format.Csv));
            var linesSeen = new List<int>();
            trainer.Callbacks.Add(new Spy(epochEnd: (_, _) => linesSeen.Add(File.ReadAllLines(jsonl).Length)));
            trainer.Fit(train, 3, validation);
            Assert.Equal([1, 2, 3], linesSeen);
            var first = System.Text.Json.JsonDocument.Parse(File.ReadAllLines(jsonl)[0]).RootElement;
            Assert.Equal(1, first.GetProperty("epoch").GetInt32());
            Assert.Equal(trainer.History.Epochs[0].ValidationLoss, first.GetProperty("val_loss").GetDouble());
            var rows = File.ReadAllLines(csv);
            Assert.Equal("epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,samples_per_second", rows[0]);
            Assert.Equal(4, rows.Length);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TheReporterHearsEveryBatchWithTheLearningRateAndTimeLeft()
    {
        var (trainer, train, validation) = Setup();
        var reporter = new CountingReporter();
        trainer.Reporter = reporter;
        trainer.Fit(train, 2, validation);
        Assert.Equal(2 * train.BatchCount, reporter.Batches);
        Assert.Equal(2, reporter.Epochs);
        Assert.True(reporter.Ended);
        Assert.Equal(0.1, reporter.LastLearningRate);
        Assert.True(reporter.SawRemaining);
        var text = new StringWriter();
        var (plain, train2, validation2) = Setup();
        plain.Reporter = new PlainProgressReporter(text);
        plain.Fit(train2, 1, validation2);
        Assert.StartsWith("epoch 1/1  loss ", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("val_accuracy", text.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Once warm, the batches of Fit (compiled step, reused loader buffers, a callback) allocate nothing.</summary>
    [Fact]
    public void SteadyStateBatchesAllocateNothing()
    {
        var (trainer, _, _) = Setup();
        trainer.Metrics.Clear();
        var train = new DataLoader(Blobs(480, 3), 16, shuffle: true, generator: new Generator(5)) { ReuseBuffers = true };
        var probe = new AllocationProbe(train.BatchCount);
        trainer.Callbacks.Add(probe);
        trainer.Fit(train, 3);
        Assert.Null(trainer.GraphReason);
        long fewest = long.MaxValue;
        for (int start = 1; start + 4 < train.BatchCount; start += 4)
            fewest = Math.Min(fewest, probe.Bytes[start + 4] - probe.Bytes[start]);
        Assert.Equal(0, fewest);
    }

    /// <summary>Records the bytes this thread had allocated at the end of every batch of the last epoch.</summary>
    private sealed class AllocationProbe(int batches) : TrainingCallback
    {
        public long[] Bytes { get; } = new long[batches + 1];
        public override void OnBatchEnd(Trainer trainer, int epoch, int batch, double loss)
        {
            if (epoch == 3) Bytes[batch] = GC.GetAllocatedBytesForCurrentThread();
        }
    }

    private sealed class CountingReporter : IProgressReporter
    {
        public int Batches, Epochs;
        public bool Ended, SawRemaining;
        public double LastLearningRate;
        public void BatchEnd(in BatchProgress progress)
        {
            Batches++;
            LastLearningRate = progress.LearningRate;
            SawRemaining |= progress.Remaining is not null;
            Assert.Equal(1, progress.Metrics.Length);
        }
        public void EpochEnd(EpochResult epoch) => Epochs++;
        public void TrainEnd(History history) => Ended = true;
    }

    private sealed class Spy(Action<Trainer, EpochResult>? epochEnd = null, Action<int, int>? batchEnd = null) : TrainingCallback
    {
        public override void OnEpochEnd(Trainer trainer, EpochResult epoch) => epochEnd?.Invoke(trainer, epoch);
        public override void OnBatchEnd(Trainer trainer, int epoch, int batch, double loss) => batchEnd?.Invoke(epoch, batch);
    }
}
