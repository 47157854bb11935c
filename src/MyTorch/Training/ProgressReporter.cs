using System.Globalization;

namespace MyTorch.TrainingLoop;

/// <summary>Where a run is after a batch, for a progress display.</summary>
/// <param name="Epoch">The 1-based epoch.</param>
/// <param name="Epochs">The last epoch of the run.</param>
/// <param name="Batch">The 1-based batch within the epoch.</param>
/// <param name="Batches">The batches in an epoch.</param>
/// <param name="Loss">The mean training loss over the epoch's batches so far.</param>
/// <param name="Metrics">The running means of <see cref="Trainer.Metrics"/> over the epoch so far, in their order (a reused buffer: read it, do not keep it).</param>
/// <param name="LearningRate">The first group's learning rate for this batch.</param>
/// <param name="SamplesPerSecond">The epoch's training throughput so far.</param>
/// <param name="Elapsed">The time since the run (this call of Fit) started.</param>
/// <param name="Remaining">An estimate of the time left for the whole run, validation included; null until one batch has been timed.</param>
public readonly record struct BatchProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, ReadOnlyMemory<double> Metrics,
    double LearningRate, double SamplesPerSecond, TimeSpan Elapsed, TimeSpan? Remaining);

/// <summary>
/// Receives a run's progress from <see cref="Trainer"/>: a live display or plain lines. Every method has an empty
/// default, so a reporter implements only what it shows. Called on the training thread.
/// </summary>
public interface IProgressReporter
{
    /// <summary>The run starts at <paramref name="firstEpoch"/> (after the epochs already in the history) and ends at <paramref name="epochs"/>.</summary>
    void TrainBegin(Trainer trainer, int firstEpoch, int epochs) { }

    /// <summary>A batch was trained.</summary>
    void BatchEnd(in BatchProgress progress) { }

    /// <summary>An epoch finished, validation included, and every callback has seen it.</summary>
    void EpochEnd(EpochResult epoch) { }

    /// <summary>The run is over; <see cref="History.StopReason"/> says why.</summary>
    void TrainEnd(History history) { }
}

/// <summary>One line per epoch on a <see cref="TextWriter"/>, for logs and pipes: every metric, the learning rate, the time.</summary>
public sealed class PlainProgressReporter(TextWriter output) : IProgressReporter
{
    private int epochs;

    /// <inheritdoc/>
    public void TrainBegin(Trainer trainer, int firstEpoch, int epochs) => this.epochs = epochs;

    /// <inheritdoc/>
    public void EpochEnd(EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        var metrics = string.Join("  ", epoch.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key} {m.Value:F4}")));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch.Epoch}/{epochs}  {metrics}  lr {epoch.LearningRate:G4}  {epoch.Seconds:F1}s"));
    }

    /// <inheritdoc/>
    public void TrainEnd(History history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.StopReason != StopReason.Completed)
            output.WriteLine(history.StopReason switch
            {
                StopReason.EarlyStopped => string.Create(CultureInfo.InvariantCulture, $"stopped early after epoch {history.Epochs.Count}"),
                StopReason.Cancelled => string.Create(CultureInfo.InvariantCulture, $"cancelled in epoch {history.StoppedAt?.Epoch}, before batch {history.StoppedAt?.Batch}"),
                _ => string.Create(CultureInfo.InvariantCulture, $"stopped: the loss became {history.StoppingLoss} in epoch {history.StoppedAt?.Epoch}, batch {history.StoppedAt?.Batch}"),
            });
        output.Flush();
    }
}
