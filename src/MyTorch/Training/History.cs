using System.Globalization;
using MyTorch.Optim;

namespace MyTorch.TrainingLoop;

/// <summary>
/// One finished epoch: its metrics by name (<c>loss</c>, the training metrics, <c>val_loss</c> and <c>val_</c> ones
/// after validation), the learning rate it trained at, its time and throughput.
/// </summary>
public sealed class EpochResult
{
    /// <summary>Creates the record of epoch <paramref name="epoch"/>.</summary>
    public EpochResult(int epoch, IReadOnlyDictionary<string, double> metrics, double learningRate, double seconds, double samplesPerSecond)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        Epoch = epoch;
        Metrics = metrics;
        LearningRate = learningRate;
        Seconds = seconds;
        SamplesPerSecond = samplesPerSecond;
    }

    /// <summary>The 1-based epoch.</summary>
    public int Epoch { get; }

    /// <summary>The metrics by name: <c>loss</c> (the mean training loss over the epoch's batches), <c>val_loss</c>, and the others.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; }

    /// <summary>The learning rate of the first parameter group during the epoch (at its start, for a schedule stepped every batch).</summary>
    public double LearningRate { get; }

    /// <summary>Wall-clock seconds of the epoch's training (validation excluded).</summary>
    public double Seconds { get; }

    /// <summary>Training examples per second.</summary>
    public double SamplesPerSecond { get; }

    /// <summary>The mean training loss.</summary>
    public double TrainLoss => Metrics["loss"];

    /// <summary>The validation loss; NaN without validation.</summary>
    public double ValidationLoss => this["val_loss"];

    /// <summary>The metric <paramref name="name"/>; NaN when the epoch has none of that name.</summary>
    public double this[string name] => Metrics.TryGetValue(name, out double value) ? value : double.NaN;
}

/// <summary>Why <see cref="Trainer.Fit"/> returned.</summary>
public enum StopReason
{
    /// <summary>Every epoch asked for ran.</summary>
    Completed,
    /// <summary>A callback (early stopping) stopped the run after an epoch.</summary>
    EarlyStopped,
    /// <summary>The cancellation token was cancelled; the run stopped at a batch boundary.</summary>
    Cancelled,
    /// <summary>A batch's loss was NaN or infinite; that batch changed no parameter.</summary>
    NonFiniteLoss,
}

/// <summary>The epochs of a run, in order, with why it stopped (Keras's <c>History</c>).</summary>
public sealed class History
{
    private readonly List<EpochResult> epochs = [];

    /// <summary>The finished epochs. A stopped epoch (cancelled, non-finite loss) is not among them.</summary>
    public IReadOnlyList<EpochResult> Epochs => epochs;

    /// <summary>Why the last <see cref="Trainer.Fit"/> returned.</summary>
    public StopReason StopReason { get; internal set; } = StopReason.Completed;

    /// <summary>Where a run stopped inside an epoch (cancelled, non-finite loss): the epoch and the batch not trained (1-based); null otherwise.</summary>
    public (int Epoch, int Batch)? StoppedAt { get; internal set; }

    /// <summary>The non-finite loss that stopped the run, when <see cref="StopReason"/> is <see cref="StopReason.NonFiniteLoss"/>.</summary>
    public double StoppingLoss { get; internal set; } = double.NaN;

    /// <summary>Adds a finished epoch (a resumed run adds the epochs it had).</summary>
    public void Add(EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        if (epoch.Epoch != epochs.Count + 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"History.Add: expected epoch {epochs.Count + 1}, got {epoch.Epoch}."), nameof(epoch));
        epochs.Add(epoch);
    }

    /// <summary>The values of metric <paramref name="name"/>, one per epoch (NaN where an epoch lacks it).</summary>
    public double[] Values(string name) => epochs.Select(e => e[name]).ToArray();

    /// <summary>
    /// The epoch with the best <paramref name="monitor"/> (lowest in <see cref="MonitorMode.Min"/>), the first of ties;
    /// null when no epoch has a finite value of it.
    /// </summary>
    public EpochResult? Best(string monitor = "val_loss", MonitorMode mode = MonitorMode.Min)
    {
        EpochResult? best = null;
        foreach (var epoch in epochs)
        {
            double value = epoch[monitor];
            if (!double.IsFinite(value)) continue;
            if (best is null || (mode == MonitorMode.Min ? value < best[monitor] : value > best[monitor])) best = epoch;
        }
        return best;
    }
}
