using System.Globalization;
using MyTorch.Compiled;
using MyTorch.Data;
using MyTorch.IO;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;
using MyTorch.TrainingLoop;

namespace MyTorch.Cli.Training;

/// <summary>
/// Receives progress from a <see cref="Trainer"/>: the live display or plain lines. It is also the library's
/// <see cref="IProgressReporter"/>, whose <see cref="IProgressReporter.BatchEnd"/> gives the learning rate and the
/// time left for the whole run.
/// </summary>
public interface ITrainingReporter : IProgressReporter
{
    /// <summary>Training is about to start (or resume after <paramref name="epochsDone"/> epochs).</summary>
    void Start(TrainConfig config, PreparedData data, Module model, int epochsDone);
    /// <summary>A batch finished; loss and error are running means over the epoch so far.</summary>
    void Batch(int epoch, int batch, int batches, double loss, double errorRate, double samplesPerSecond);
    /// <summary>An epoch finished and its checkpoint was written.</summary>
    void Epoch(EpochRecord record);
    /// <summary>Training is over (normally, or stopped by a non-finite loss).</summary>
    void Finish();
}

/// <summary>Raised when the loss becomes NaN or infinite: training stops, and the message says what was kept.</summary>
public sealed class NonFiniteLossException(int epoch, int batch, double loss, string kept = "")
    : Exception(string.Create(CultureInfo.InvariantCulture, $"The training loss became {loss} at epoch {epoch}, batch {batch}. Training stopped.{(kept.Length > 0 ? " " + kept : "")} Try a lower learning rate (--lr)."))
{
    /// <summary>The 1-based epoch.</summary>
    public int Epoch { get; } = epoch;
    /// <summary>The 1-based batch within the epoch.</summary>
    public int Batch { get; } = batch;
}

/// <summary>
/// The training loop of <c>mytorch train</c>: epochs of shuffled mini-batches, validation after each, and an
/// atomically written checkpoint after each, from which <see cref="Resume"/> continues bit for bit.
/// </summary>
public sealed class Trainer
{
    private readonly TrainConfig config;
    private readonly PreparedData data;
    private readonly Generator generator;
    private readonly Loss criterion;
    private readonly Loss stepLoss; // the criterion on the loader's labels, as a training step sees them
    private readonly string checkpointPath;
    private readonly LRScheduler? schedule;

    private Trainer(TrainConfig config, PreparedData data, Sequential model, Optimizer optimizer, Generator generator, string outputDirectory)
    {
        this.config = config;
        this.data = data;
        this.generator = generator;
        Model = model;
        Optimizer = optimizer;
        criterion = ModelFactory.Criterion(config);
        stepLoss = new LossOnLabels(criterion);
        OutputDirectory = outputDirectory;
        checkpointPath = Path.Combine(outputDirectory, "checkpoint.safetensors");
        schedule = ModelFactory.Schedule(config, optimizer);
    }

    /// <summary>The network being trained.</summary>
    public Sequential Model { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Where checkpoints, the model, metrics and plots go.</summary>
    public string OutputDirectory { get; }

    /// <summary>The epochs completed so far.</summary>
    public TrainingHistory History { get; private set; } = new();

    /// <summary>The run's configuration.</summary>
    public TrainConfig Config => config;

    /// <summary>The run's data.</summary>
    public PreparedData Data => data;

    /// <summary>A new run: the model is initialized from the seed.</summary>
    public static Trainer Create(TrainConfig config, PreparedData data, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        var generator = new Generator(config.Seed);
        var model = ModelFactory.Build(config, data.Inputs, ModelFactory.Outputs(config, data.Classes), generator, data.TargetScaler);
        return new Trainer(config, data, model, ModelFactory.Optimizer(config, model), generator, PrepareOutput(outputDirectory));
    }

    /// <summary>
    /// Continues the run saved in <paramref name="checkpoint"/>: same configuration (but for the epoch count,
    /// <paramref name="epochs"/>), weights, optimizer state, generator state and history.
    /// </summary>
    public static Trainer Resume(string checkpoint, int? epochs, string outputDirectory, Func<TrainConfig, PreparedData> prepare)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        var saved = Checkpoint.Read(checkpoint, "--resume");
        if (!saved.Metadata.ContainsKey("epoch") || !saved.Metadata.ContainsKey("generator"))
            throw new DataFormatException(checkpoint, "it is a model file, not a checkpoint: it has no epoch count, optimizer or generator state to resume from", offset: 8,
                expected: "the checkpoint.safetensors in a training's --out folder", found: "a model (as in model.safetensors)");
        var config = Checkpoint.Config(saved, checkpoint);
        if (epochs is int total) config = config with { Epochs = total };
        var data = prepare(config);
        var generator = new Generator(config.Seed);
        var model = ModelFactory.Build(config, data.Inputs, ModelFactory.Outputs(config, data.Classes), generator, data.TargetScaler);
        var restored = new Trainer(config, data, model, ModelFactory.Optimizer(config, model), generator, PrepareOutput(outputDirectory));
        Checkpoint.LoadModelTensors(restored.Model, saved, checkpoint);
        Checkpoint.RestoreOptimizer(saved, restored.Optimizer, checkpoint);
        Checkpoint.RestoreGenerator(saved, restored.generator, checkpoint);
        int done = Checkpoint.MetadataInt(saved, "epoch", checkpoint);
        restored.History = Checkpoint.ReadHistory(saved, checkpoint);
        if (restored.History.Epochs.Count != done)
            throw new DataFormatException(checkpoint, "its history does not match its epoch count", offset: 8, expected: $"{done} epochs", found: $"{restored.History.Epochs.Count}");
        return restored;
    }

    private static string PrepareOutput(string directory)
    {
        Directory.CreateDirectory(directory);
        // Fail before training, not after an hour of it, when the folder cannot be written.
        var probe = Path.Combine(directory, $".write-test-{Environment.ProcessId}");
        File.WriteAllText(probe, "");
        File.Delete(probe);
        return directory;
    }

    /// <summary>Stops the run when the validation loss has not improved for this many epochs; null to run every epoch.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>Why the last <see cref="Run"/> returned.</summary>
    public StopReason StopReason { get; private set; }

    /// <summary>Where a cancelled run stopped: the epoch and the batch not trained; null otherwise.</summary>
    public (int Epoch, int Batch)? StoppedAt { get; private set; }

    /// <summary>The epoch with the lowest validation loss (0 when none has a finite one).</summary>
    public int BestEpoch => best?.BestEpoch ?? 0;

    /// <summary>The epoch the model holds after <see cref="KeepModel"/>.</summary>
    public int ModelEpoch { get; private set; }

    private KeepBestModel? best;

    /// <summary>
    /// Runs the remaining epochs on the library's <see cref="MyTorch.TrainingLoop.Trainer"/>, writing a checkpoint after each.
    /// A cancelled <paramref name="cancellationToken"/> stops it at a batch boundary (<see cref="StopReason"/> says so);
    /// the checkpoint then holds the last finished epoch. The model holds the last weights: <see cref="KeepModel"/>
    /// chooses which epoch to save.
    /// </summary>
    public void Run(ITrainingReporter reporter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        reporter.Start(config, data, Model, History.Epochs.Count);
        try
        {
            // Each batch is used up before the next is fetched, so the loader may write every batch into the same tensors.
            var loader = new DataLoader(data.Train, config.BatchSize, shuffle: true, generator: generator) { ReuseBuffers = true };
            var loop = new MyTorch.TrainingLoop.Trainer(Model, stepLoss, Optimizer)
            {
                Validator = model =>
                {
                    var validation = Evaluation.Evaluate(model, criterion, data.Validation, data.TargetScaler);
                    return new Dictionary<string, double> { ["val_loss"] = validation.Loss, ["val_error"] = validation.Error };
                },
                Reporter = new ReporterBridge(reporter),
                History = LibraryHistory(History),
            };
            loop.Metrics.Add(new Metric("error", BatchError));
            // Appended epoch by epoch, so a stopped or running job can be read (metrics.json comes at the end).
            MetricsLog[] logs =
            [
                new(Path.Combine(OutputDirectory, "metrics.jsonl"), MetricsLog.Format.JsonLines),
                new(Path.Combine(OutputDirectory, "metrics.csv"), MetricsLog.Format.Csv),
            ];
            loop.Callbacks.Add(new ScheduleAndCheckpoint(this, reporter, logs));
            if (EarlyStoppingPatience is int patience) loop.Callbacks.Add(new EarlyStopping("val_loss", patience));
            best = new KeepBestModel("val_loss", restoreAtEnd: false);
            loop.Callbacks.Add(best);
            // The planned step replays the graph's own launches, bit for bit and without allocating (and takes the graph
            // itself under --detect-anomaly); a model that computes on the host from changing values trains on the graph.
            var history = loop.Fit(loader, config.Epochs, cancellationToken: cancellationToken);
            StopReason = history.StopReason;
            StoppedAt = history.StoppedAt;
            ModelEpoch = History.Epochs.Count;
            if (history.StopReason == StopReason.NonFiniteLoss && history.StoppedAt is var (epoch, batch))
                throw new NonFiniteLossException(epoch, batch, history.StoppingLoss, KeptAfterNonFiniteLoss());
        }
        finally
        {
            reporter.Finish();
        }
    }

    private string KeptAfterNonFiniteLoss() => History.Epochs.Count == 0
        ? $"Nothing is kept: no epoch finished, so no checkpoint, model, metrics or plot was written to {OutputDirectory}."
        : string.Create(CultureInfo.InvariantCulture,
            $"Kept: {checkpointPath}, the checkpoint of epoch {History.Epochs.Count} (the last finished one), to --resume from. Not written: model.safetensors, metrics.json and training-curves.png.");

    /// <summary>
    /// Puts the weights of the epoch to save into <see cref="Model"/>: with <paramref name="keepLast"/> false, the
    /// epoch of lowest validation loss (when its weights are at hand: a best epoch from before a resume is not, and
    /// then the last stays); otherwise the last epoch. Returns the epoch the model now holds.
    /// </summary>
    public int KeepModel(bool keepLast)
    {
        if (!keepLast && best is { HasBest: true } kept && kept.KeptEpoch != ModelEpoch && best.Restore(Model))
            ModelEpoch = kept.KeptEpoch;
        return ModelEpoch;
    }

    private static History LibraryHistory(TrainingHistory history)
    {
        var result = new History();
        foreach (var e in history.Epochs)
            result.Add(new EpochResult(e.Epoch, new Dictionary<string, double>
            {
                ["loss"] = e.TrainLoss, ["error"] = e.TrainError, ["val_loss"] = e.ValidationLoss, ["val_error"] = e.ValidationError,
            }, e.LearningRate, e.Seconds, e.SamplesPerSecond));
        return result;
    }

    /// <summary>
    /// Sets each epoch's learning rate from the schedule, and after each records the epoch, writes the checkpoint, then
    /// appends to the metric logs and reports it: the checkpoint first, so that a folder that fails is named at its write.
    /// </summary>
    private sealed class ScheduleAndCheckpoint(Trainer owner, ITrainingReporter reporter, MetricsLog[] logs) : TrainingCallback
    {
        public override void OnTrainBegin(MyTorch.TrainingLoop.Trainer trainer)
        {
            foreach (var log in logs) log.OnTrainBegin(trainer);
        }

        public override void OnEpochBegin(MyTorch.TrainingLoop.Trainer trainer, int epoch)
        {
            // The rate is a function of the epoch alone, so a resumed run picks up the schedule where it stopped.
            if (owner.schedule is not null)
                foreach (var group in owner.Optimizer.ParamGroups) group.LearningRate = owner.schedule.LearningRateAt(group.InitialLearningRate, epoch - 1);
        }

        public override void OnEpochEnd(MyTorch.TrainingLoop.Trainer trainer, EpochResult epoch)
        {
            var record = new EpochRecord
            {
                Epoch = epoch.Epoch,
                TrainLoss = epoch.TrainLoss,
                TrainError = epoch["error"],
                ValidationLoss = epoch.ValidationLoss,
                ValidationError = epoch["val_error"],
                SamplesPerSecond = epoch.SamplesPerSecond,
                Seconds = epoch.Seconds,
                LearningRate = epoch.LearningRate,
            };
            owner.History.Epochs.Add(record);
            Safetensors.Save(owner.checkpointPath, Checkpoint.TrainingState(owner.Model, owner.config, owner.data, owner.Optimizer, owner.generator, epoch.Epoch, owner.History));
            foreach (var log in logs) log.OnEpochEnd(trainer, epoch);
            reporter.Epoch(record);
        }
    }

    /// <summary>Hands the library loop's batch progress to a CLI reporter.</summary>
    private sealed class ReporterBridge(ITrainingReporter reporter) : IProgressReporter
    {
        public void BatchEnd(in BatchProgress progress)
        {
            reporter.Batch(progress.Epoch, progress.Batch, progress.Batches, progress.Loss, progress.Metrics.Span[0], progress.SamplesPerSecond);
            reporter.BatchEnd(progress);
        }
    }

    private double BatchError(Tensor outputs, Tensor targets)
    {
        using var _ = Autograd.NoGrad();
        if (data.TargetScaler is { } scaler)
            return (scaler.InverseTransform(outputs.Detach()) - scaler.InverseTransform(targets)).Abs().Mean().Item();
        var predicted = Evaluation.Classes(outputs.Detach());
        return 1 - predicted.Eq(targets.Reshape(-1)).Sum().Item() / targets.Shape[0];
    }

    /// <summary>Test-set loss and error of the current model.</summary>
    public EvaluationResult Test() => Evaluation.Evaluate(Model, criterion, data.Test, data.TargetScaler);
}

/// <summary>A loss that takes the data set's labels as they are stored and converts them as the loss expects (<see cref="Evaluation.LossTargets"/>).</summary>
internal sealed class LossOnLabels(Loss criterion) : Loss(criterion.Reduction)
{
    /// <inheritdoc/>
    public override Tensor PerElement(Tensor input, Tensor target) => criterion.PerElement(input, Evaluation.LossTargets(input, target));

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => criterion.Forward(input, Evaluation.LossTargets(input, target));
}
