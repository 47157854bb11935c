using System.Diagnostics;
using MyTorch.Compiled;
using MyTorch.Data;
using MyTorch.IO;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.Cli.Training;

/// <summary>Receives progress from a <see cref="Trainer"/>: the live display or plain lines.</summary>
public interface ITrainingReporter
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

/// <summary>Raised when the loss becomes NaN or infinite: training stops and the last good checkpoint stays.</summary>
public sealed class NonFiniteLossException(int epoch, int batch, double loss)
    : Exception($"The training loss became {loss} at epoch {epoch}, batch {batch}. Training stopped; the last good checkpoint is kept. Try a lower learning rate (--lr).")
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

    /// <summary>Runs the remaining epochs, writing a checkpoint after each.</summary>
    public void Run(ITrainingReporter reporter)
    {
        ArgumentNullException.ThrowIfNull(reporter);
        reporter.Start(config, data, Model, History.Epochs.Count);
        try
        {
            // Each batch is used up before the next is fetched, so the loader may write every batch into the same tensors.
            var loader = new DataLoader(data.Train, config.BatchSize, shuffle: true, generator: generator) { ReuseBuffers = true };
            // The planned step replays the graph's own launches, bit for bit and without allocating (and takes the graph
            // itself under --detect-anomaly); a model that computes on the host from changing values trains on the graph.
            var compiled = CompiledTrainingStep.TryCompile(Model, stepLoss, Optimizer, out _);
            for (int epoch = History.Epochs.Count + 1; epoch <= config.Epochs; epoch++)
                TrainEpoch(epoch, loader, compiled, reporter);
        }
        finally
        {
            reporter.Finish();
        }
    }

    private void TrainEpoch(int epoch, DataLoader loader, CompiledTrainingStep? compiled, ITrainingReporter reporter)
    {
        // The rate is a function of the epoch alone, so a resumed run picks up the schedule where it stopped.
        if (schedule is not null)
            foreach (var group in Optimizer.ParamGroups) group.LearningRate = schedule.LearningRateAt(group.InitialLearningRate, epoch - 1);
        Model.Train();
        var clock = Stopwatch.StartNew();
        double lossSum = 0, errorSum = 0;
        int seen = 0, batch = 0;
        foreach (var (inputs, targets) in loader)
        {
            batch++;
            var (value, outputs) = compiled is null ? GraphStep(inputs, targets) : (compiled.Run(inputs, targets), compiled.Outputs!);
            if (!double.IsFinite(value)) throw new NonFiniteLossException(epoch, batch, value);

            int count = inputs.Shape[0];
            lossSum += value * count;
            errorSum += BatchError(outputs, targets) * count;
            seen += count;
            reporter.Batch(epoch, batch, loader.BatchCount, lossSum / seen, errorSum / seen, seen / clock.Elapsed.TotalSeconds);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var validation = Evaluation.Evaluate(Model, criterion, data.Validation, data.TargetScaler);
        var record = new EpochRecord
        {
            Epoch = epoch,
            TrainLoss = lossSum / Math.Max(seen, 1),
            TrainError = errorSum / Math.Max(seen, 1),
            ValidationLoss = validation.Loss,
            ValidationError = validation.Error,
            SamplesPerSecond = seen / seconds,
            Seconds = seconds,
            LearningRate = Optimizer.LearningRate,
        };
        History.Epochs.Add(record);
        Safetensors.Save(checkpointPath, Checkpoint.TrainingState(Model, config, data, Optimizer, generator, epoch, History));
        reporter.Epoch(record);
    }

    /// <summary>One step through the dynamic graph; stops before Backward when the loss is not finite.</summary>
    private (double Loss, Tensor Outputs) GraphStep(Tensor inputs, Tensor targets)
    {
        Optimizer.ZeroGrad();
        var outputs = Model.Forward(inputs);
        var loss = stepLoss.Forward(outputs, targets);
        double value = loss.Item();
        if (!double.IsFinite(value)) return (value, outputs);
        loss.Backward();
        Optimizer.Step();
        return (value, outputs);
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
