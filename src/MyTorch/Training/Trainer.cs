using System.Diagnostics;
using MyTorch.Compiled;
using MyTorch.Data;
using MyTorch.Losses;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.TrainingLoop;

/// <summary>
/// A training loop in the Keras and Lightning spirit: <see cref="Fit"/> runs epochs over a (shuffling)
/// <see cref="DataLoader"/>, validates after each, records a <see cref="History"/>, and calls
/// <see cref="Callbacks"/> (early stopping, keeping the best model, learning-rate schedules, metric logs) and a
/// <see cref="Reporter"/>. Steps go through <see cref="CompiledTrainingStep"/> (a recorded step replayed without
/// allocating) where the model allows, else through the dynamic graph, with the same numbers either way.
/// </summary>
/// <example><code>
/// var trainer = new Trainer(model, new CrossEntropyLoss(), new SGD(model.Parameters(), 0.1, momentum: 0.9))
/// {
///     Metrics = { Metric.Accuracy },
///     Callbacks = { new EarlyStopping("val_loss", patience: 3), new KeepBestModel("val_loss") },
/// };
/// History history = trainer.Fit(trainLoader, epochs: 20, validation: validationLoader);
/// </code></example>
public sealed class Trainer
{
    private bool stopRequested;

    /// <summary>Trains <paramref name="model"/> on <paramref name="loss"/> (a mean or sum reduction) with <paramref name="optimizer"/>.</summary>
    public Trainer(Module model, Loss loss, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        Model = model;
        Loss = loss;
        Optimizer = optimizer;
    }

    /// <summary>The model trained.</summary>
    public Module Model { get; }

    /// <summary>The training loss.</summary>
    public Loss Loss { get; }

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The callbacks, called in this order.</summary>
    public IList<TrainingCallback> Callbacks { get; } = new List<TrainingCallback>();

    /// <summary>Metrics computed on every training batch (as <c>name</c>) and over the validation data (as <c>val_name</c>).</summary>
    public IList<Metric> Metrics { get; } = new List<Metric>();

    /// <summary>
    /// When set, the gradients' global L2 norm is clipped to it before each optimizer step
    /// (<see cref="GradientClipping.ClipGradNorm"/>); the steps then run through the dynamic graph, since a compiled
    /// step takes the optimizer step in the same replay as the backward pass.
    /// </summary>
    public double? MaxGradientNorm { get; set; }

    /// <summary>Whether steps may go through <see cref="CompiledTrainingStep"/> (on by default).</summary>
    public bool UseCompiledStep { get; set; } = true;

    /// <summary>Receives progress after every batch and epoch; null for none.</summary>
    public IProgressReporter? Reporter { get; set; }

    /// <summary>
    /// Computes an epoch's validation metrics in place of the loop over the validation loader (names should start with
    /// <c>val_</c>); for validation that needs more than the loss and <see cref="Metrics"/>.
    /// </summary>
    public Func<Module, IReadOnlyDictionary<string, double>>? Validator { get; set; }

    /// <summary>
    /// The epochs so far. <see cref="Fit"/> continues after them, so a run restored from a checkpoint sets the history
    /// it had (with the model and optimizer state) and fits to the new total.
    /// </summary>
    public History History { get; set; } = new();

    /// <summary>Why the last <see cref="Fit"/> trained through the dynamic graph; null when it replayed compiled steps.</summary>
    public string? GraphReason { get; private set; }

    /// <summary>Asks the run to stop once the current epoch's callbacks have run (early stopping calls it).</summary>
    public void StopTraining() => stopRequested = true;

    /// <summary>
    /// Trains until epoch <paramref name="epochs"/> (counting the epochs already in <see cref="History"/>), validating on
    /// <paramref name="validation"/> after each (or with <see cref="Validator"/>). Returns <see cref="History"/>.
    /// </summary>
    /// <remarks>
    /// A cancelled <paramref name="cancellationToken"/> stops the run before the next batch: the model holds the steps
    /// made so far, the unfinished epoch is not in the history, callbacks' <see cref="TrainingCallback.OnTrainEnd"/>
    /// run (so a kept best model is restored) and <see cref="History.StopReason"/> says
    /// <see cref="StopReason.Cancelled"/>. A NaN or infinite batch loss stops the run the same way, before that batch
    /// changes any parameter (<see cref="StopReason.NonFiniteLoss"/>).
    /// </remarks>
    public History Fit(DataLoader train, int epochs, DataLoader? validation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        stopRequested = false;
        History.StopReason = StopReason.Completed;
        History.StoppedAt = null;
        History.StoppingLoss = double.NaN;
        int first = History.Epochs.Count + 1;
        var run = new RunClock(train.BatchCount, Math.Max(0, epochs - first + 1));
        try
        {
            foreach (var callback in Callbacks) callback.OnTrainBegin(this);
            Reporter?.TrainBegin(this, first, epochs);
            CompiledTrainingStep? compiled = null;
            GraphReason = !UseCompiledStep ? "compiled steps are turned off (UseCompiledStep)"
                : MaxGradientNorm is not null ? "gradient clipping runs between the backward pass and the optimizer step"
                : null;
            if (GraphReason is null)
            {
                compiled = CompiledTrainingStep.TryCompile(Model, Loss, Optimizer, out string? reason);
                GraphReason = reason;
            }
            for (int epoch = first; epoch <= epochs && !stopRequested; epoch++)
            {
                if (!TrainEpoch(epoch, epochs, train, validation, compiled, run, cancellationToken)) break;
                if (stopRequested) History.StopReason = StopReason.EarlyStopped;
            }
            foreach (var callback in Callbacks) callback.OnTrainEnd(this);
        }
        finally
        {
            Reporter?.TrainEnd(History);
        }
        return History;
    }

    /// <summary>One epoch; false when it stopped inside (cancelled, non-finite loss).</summary>
    private bool TrainEpoch(int epoch, int epochs, DataLoader train, DataLoader? validation, CompiledTrainingStep? compiled, RunClock run, CancellationToken cancellationToken)
    {
        foreach (var callback in Callbacks) callback.OnEpochBegin(this, epoch);
        double learningRate = Optimizer.LearningRate;
        Model.Train();
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        var metricSums = new double[Metrics.Count];
        var metricMeans = new double[Metrics.Count];
        int seen = 0, batch = 0;
        foreach (var (inputs, targets) in train)
        {
            batch++;
            if (cancellationToken.IsCancellationRequested) return Stop(StopReason.Cancelled, epoch, batch, double.NaN);
            var (value, outputs) = compiled is null ? GraphStep(inputs, targets) : (compiled.Run(inputs, targets), compiled.Outputs!);
            if (!double.IsFinite(value)) return Stop(StopReason.NonFiniteLoss, epoch, batch, value);
            int count = inputs.Shape[0];
            lossSum += value * count;
            seen += count;
            if (Metrics.Count > 0)
                using (Autograd.NoGrad())
                    for (int m = 0; m < Metrics.Count; m++)
                    {
                        metricSums[m] += Metrics[m].BatchMean(outputs.Detach(), targets) * count;
                        metricMeans[m] = metricSums[m] / seen;
                    }
            // Indexed: an interface enumerator would allocate every batch.
            for (int c = 0; c < Callbacks.Count; c++) Callbacks[c].OnBatchEnd(this, epoch, batch, value);
            run.BatchDone();
            Reporter?.BatchEnd(new BatchProgress(epoch, epochs, batch, train.BatchCount, lossSum / seen, metricMeans,
                Optimizer.LearningRate, seen / clock.Elapsed.TotalSeconds, run.Elapsed, run.Remaining));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = lossSum / Math.Max(seen, 1) };
        for (int m = 0; m < Metrics.Count; m++) metrics[Metrics[m].Name] = metricSums[m] / Math.Max(seen, 1);
        var validationClock = Stopwatch.StartNew();
        var validated = Validator is not null ? Validator(Model) : validation is not null ? Evaluate(validation, "val_") : null;
        if (validated is not null)
            foreach (var (name, value) in validated) metrics[name] = value;
        run.EpochDone(validationClock.Elapsed);
        var result = new EpochResult(epoch, metrics, learningRate, seconds, seen / seconds);
        History.Add(result);
        foreach (var callback in Callbacks) callback.OnEpochEnd(this, result);
        Reporter?.EpochEnd(result);
        return true;
    }

    private bool Stop(StopReason reason, int epoch, int batch, double loss)
    {
        History.StopReason = reason;
        History.StoppedAt = (epoch, batch);
        History.StoppingLoss = loss;
        return false;
    }

    /// <summary>One step through the dynamic graph; stops before the backward pass when the loss is not finite.</summary>
    private (double Loss, Tensor Outputs) GraphStep(Tensor inputs, Tensor targets)
    {
        Optimizer.ZeroGrad();
        var outputs = Model.Forward(inputs);
        var loss = Loss.Forward(outputs, targets);
        double value = loss.Item();
        if (!double.IsFinite(value)) return (value, outputs);
        loss.Backward();
        if (MaxGradientNorm is double maxNorm) GradientClipping.ClipGradNorm(Model.Parameters(), maxNorm);
        Optimizer.Step();
        return (value, outputs);
    }

    /// <summary>
    /// The loss and <see cref="Metrics"/> of the model over <paramref name="data"/>, in evaluation mode without
    /// recording gradients, as means over its examples, named with <paramref name="prefix"/> (<c>loss</c>, <c>accuracy</c>).
    /// </summary>
    public IReadOnlyDictionary<string, double> Evaluate(DataLoader data, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(prefix);
        bool wasTraining = Model.IsTraining;
        Model.Eval();
        double lossSum = 0;
        var sums = new double[Metrics.Count];
        int seen = 0;
        try
        {
            using var noGrad = Autograd.NoGrad();
            foreach (var (inputs, targets) in data)
            {
                var outputs = Model.Forward(inputs);
                int count = inputs.Shape[0];
                double value = Loss.Forward(outputs, targets).Item();
                lossSum += (Loss.Reduction == Reduction.Sum ? value / count : value) * count;
                for (int m = 0; m < Metrics.Count; m++) sums[m] += Metrics[m].BatchMean(outputs, targets) * count;
                seen += count;
            }
        }
        finally
        {
            Model.Train(wasTraining);
        }
        var result = new Dictionary<string, double>(StringComparer.Ordinal) { [prefix + "loss"] = lossSum / Math.Max(seen, 1) };
        for (int m = 0; m < Metrics.Count; m++) result[prefix + Metrics[m].Name] = sums[m] / Math.Max(seen, 1);
        return result;
    }

    /// <summary>Times a run to estimate what is left of it: training time per batch so far, and validation time per epoch.</summary>
    private sealed class RunClock(int batchesPerEpoch, int epochs)
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private long batchesDone;
        private int epochsDone;
        private TimeSpan validation;

        public TimeSpan Elapsed => clock.Elapsed;

        public void BatchDone() => batchesDone++;

        public void EpochDone(TimeSpan validationTime)
        {
            epochsDone++;
            validation += validationTime;
        }

        public TimeSpan? Remaining
        {
            get
            {
                if (batchesDone == 0) return null;
                var training = clock.Elapsed - validation;
                long batchesLeft = Math.Max(0, (long)batchesPerEpoch * epochs - batchesDone);
                double perBatch = training.TotalSeconds / batchesDone;
                double perValidation = epochsDone == 0 ? 0 : validation.TotalSeconds / epochsDone;
                return TimeSpan.FromSeconds(perBatch * batchesLeft + perValidation * Math.Max(0, epochs - epochsDone));
            }
        }
    }
}
