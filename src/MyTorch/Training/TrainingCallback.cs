using System.Globalization;
using MyTorch.NN;
using MyTorch.Optim;

namespace MyTorch.TrainingLoop;

/// <summary>
/// A hook into <see cref="Trainer.Fit"/> (Keras's callbacks, Lightning's hooks): every method has an empty default.
/// Callbacks run in the order of <see cref="Trainer.Callbacks"/>; at an epoch's end they see its validation metrics
/// and may call <see cref="Trainer.StopTraining"/>.
/// </summary>
public abstract class TrainingCallback
{
    /// <summary>The run starts; <see cref="Trainer.History"/> holds the epochs already done (a resumed run).</summary>
    public virtual void OnTrainBegin(Trainer trainer) { }

    /// <summary>Epoch <paramref name="epoch"/> (1-based) starts.</summary>
    public virtual void OnEpochBegin(Trainer trainer, int epoch) { }

    /// <summary>A batch was trained, with mean loss <paramref name="loss"/>.</summary>
    public virtual void OnBatchEnd(Trainer trainer, int epoch, int batch, double loss) { }

    /// <summary>An epoch finished and was validated; it is the last of <see cref="Trainer.History"/>.</summary>
    public virtual void OnEpochEnd(Trainer trainer, EpochResult epoch) { }

    /// <summary>The run is over, completed or stopped (<see cref="History.StopReason"/>).</summary>
    public virtual void OnTrainEnd(Trainer trainer) { }

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="best"/> by more than <paramref name="minDelta"/>.</summary>
    internal static bool Improves(double value, double best, MonitorMode mode, double minDelta) =>
        double.IsFinite(value) && (mode == MonitorMode.Min ? value < best - minDelta : value > best + minDelta);

    internal static double Worst(MonitorMode mode) => mode == MonitorMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
}

/// <summary>
/// Stops the run when <see cref="Monitor"/> has not improved by more than <see cref="MinDelta"/> for
/// <see cref="Patience"/> epochs (Keras's <c>EarlyStopping</c>). A resumed run counts the epochs in its history.
/// </summary>
public sealed class EarlyStopping : TrainingCallback
{
    /// <summary>Watches <paramref name="monitor"/> (<c>val_loss</c> by default).</summary>
    public EarlyStopping(string monitor = "val_loss", int patience = 3, double minDelta = 0, MonitorMode mode = MonitorMode.Min)
    {
        ArgumentException.ThrowIfNullOrEmpty(monitor);
        if (patience < 1) throw new ArgumentException($"EarlyStopping: the patience must be at least 1 epoch, got {patience}.", nameof(patience));
        if (!(minDelta >= 0) || double.IsInfinity(minDelta))
            throw new ArgumentException($"EarlyStopping: minDelta must be non-negative and finite, got {minDelta.ToString(CultureInfo.InvariantCulture)}.", nameof(minDelta));
        Monitor = monitor;
        Patience = patience;
        MinDelta = minDelta;
        Mode = mode;
    }

    /// <summary>The metric watched.</summary>
    public string Monitor { get; }

    /// <summary>The epochs without improvement after which the run stops.</summary>
    public int Patience { get; }

    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Whether the metric should fall or rise.</summary>
    public MonitorMode Mode { get; }

    /// <summary>The best value seen.</summary>
    public double Best { get; private set; }

    /// <summary>The epoch of <see cref="Best"/> (0 before any).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The epoch after which this callback stopped the run; 0 if it did not.</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Best = Worst(Mode);
        BestEpoch = 0;
        StoppedEpoch = 0;
        foreach (var epoch in trainer.History.Epochs) See(epoch);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(epoch);
        if (!epoch.Metrics.ContainsKey(Monitor))
            throw new InvalidOperationException($"EarlyStopping: epoch {epoch.Epoch} has no metric '{Monitor}'; it has {string.Join(", ", epoch.Metrics.Keys)}.");
        See(epoch);
        if (epoch.Epoch - BestEpoch >= Patience)
        {
            StoppedEpoch = epoch.Epoch;
            trainer.StopTraining();
        }
    }

    private void See(EpochResult epoch)
    {
        if (Improves(epoch[Monitor], Best, Mode, MinDelta))
        {
            Best = epoch[Monitor];
            BestEpoch = epoch.Epoch;
        }
    }
}

/// <summary>
/// Keeps a copy of the model's parameters and buffers from the epoch with the best <see cref="Monitor"/> and, with
/// <see cref="RestoreAtEnd"/>, puts them back into the model when the run ends (stopped or not). Keras's
/// <c>restore_best_weights</c>, Lightning's <c>ModelCheckpoint</c> in memory.
/// </summary>
public sealed class KeepBestModel : TrainingCallback
{
    private StateDict? best;

    /// <summary>Watches <paramref name="monitor"/> (<c>val_loss</c> by default).</summary>
    public KeepBestModel(string monitor = "val_loss", MonitorMode mode = MonitorMode.Min, bool restoreAtEnd = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(monitor);
        Monitor = monitor;
        Mode = mode;
        RestoreAtEnd = restoreAtEnd;
    }

    /// <summary>The metric watched.</summary>
    public string Monitor { get; }

    /// <summary>Whether lower or higher is better.</summary>
    public MonitorMode Mode { get; }

    /// <summary>Whether the best weights are loaded into the model when the run ends.</summary>
    public bool RestoreAtEnd { get; }

    /// <summary>The best epoch of the whole history (0 before any).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The best value of <see cref="Monitor"/>.</summary>
    public double BestValue { get; private set; }

    /// <summary>
    /// The epoch whose weights this callback holds: <see cref="BestEpoch"/>, or 0 when the best epoch came before a
    /// resume (its weights were not kept in the checkpoint) and no later epoch beat it.
    /// </summary>
    public int KeptEpoch { get; private set; }

    /// <summary>Whether the weights of the best epoch are held.</summary>
    public bool HasBest => best is not null;

    /// <inheritdoc/>
    public override void OnTrainBegin(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        BestValue = Worst(Mode);
        BestEpoch = KeptEpoch = 0;
        best = null;
        foreach (var epoch in trainer.History.Epochs)
            if (Improves(epoch[Monitor], BestValue, Mode, 0)) (BestValue, BestEpoch) = (epoch[Monitor], epoch.Epoch);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(epoch);
        if (!Improves(epoch[Monitor], BestValue, Mode, 0)) return;
        (BestValue, BestEpoch, KeptEpoch) = (epoch[Monitor], epoch.Epoch, epoch.Epoch);
        best = trainer.Model.StateDict().Snapshot();
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        if (RestoreAtEnd) Restore(trainer.Model);
    }

    /// <summary>Loads the best epoch's weights into <paramref name="model"/>; false (and nothing changed) when none are held.</summary>
    public bool Restore(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (best is null) return false;
        model.LoadStateDict(best);
        return true;
    }
}

/// <summary>Where a learning-rate schedule steps: after every epoch or after every batch.</summary>
public enum ScheduleInterval
{
    /// <summary>Once per epoch (StepLR, CosineAnnealingLR, ReduceLROnPlateau).</summary>
    Epoch,
    /// <summary>Once per batch (OneCycleLR).</summary>
    Batch,
}

/// <summary>
/// Steps a learning-rate schedule as PyTorch's loops do: an <see cref="LRScheduler"/> after each epoch (or each batch,
/// for <see cref="OneCycleLR"/>), a <see cref="ReduceLROnPlateau"/> after each epoch with the monitored metric.
/// </summary>
public sealed class LearningRateSchedule : TrainingCallback
{
    private readonly LRScheduler? scheduler;
    private readonly ReduceLROnPlateau? plateau;

    /// <summary>Steps <paramref name="scheduler"/> every <paramref name="interval"/> (every batch by default for <see cref="OneCycleLR"/>, else every epoch).</summary>
    public LearningRateSchedule(LRScheduler scheduler, ScheduleInterval? interval = null)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        this.scheduler = scheduler;
        Interval = interval ?? (scheduler is OneCycleLR ? ScheduleInterval.Batch : ScheduleInterval.Epoch);
    }

    /// <summary>Steps <paramref name="plateau"/> after every epoch with the epoch's <paramref name="monitor"/>.</summary>
    public LearningRateSchedule(ReduceLROnPlateau plateau, string monitor = "val_loss")
    {
        ArgumentNullException.ThrowIfNull(plateau);
        ArgumentException.ThrowIfNullOrEmpty(monitor);
        this.plateau = plateau;
        Monitor = monitor;
        Interval = ScheduleInterval.Epoch;
    }

    /// <summary>When the schedule steps.</summary>
    public ScheduleInterval Interval { get; }

    /// <summary>The metric a plateau schedule watches; null for the others.</summary>
    public string? Monitor { get; }

    /// <inheritdoc/>
    public override void OnBatchEnd(Trainer trainer, int epoch, int batch, double loss)
    {
        if (Interval == ScheduleInterval.Batch) scheduler!.Step();
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        if (plateau is not null) plateau.Step(epoch[Monitor!]);
        else if (Interval == ScheduleInterval.Epoch) scheduler!.Step();
    }
}
