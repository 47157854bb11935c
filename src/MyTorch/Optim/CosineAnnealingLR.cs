using System.Globalization;

namespace MyTorch.Optim;

/// <summary>
/// Anneals the learning rate along half a cosine from its initial value to <see cref="EtaMin"/> over
/// <see cref="TMax"/> epochs, as PyTorch's <c>CosineAnnealingLR</c> (without restarts):
/// <c>lr(epoch) = etaMin + (initialLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2</c>.
/// Past tMax the cosine continues, so the rate climbs back, as PyTorch's does.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Attaches the schedule to <paramref name="optimizer"/> and sets the epoch-0 learning rates.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0)
            throw new ArgumentException($"CosineAnnealingLR: invalid tMax: {tMax.ToString(CultureInfo.InvariantCulture)} (must be positive).", nameof(tMax));
        if (!(etaMin >= 0) || double.IsInfinity(etaMin))
            throw new ArgumentException($"CosineAnnealingLR: invalid etaMin: {etaMin.ToString(CultureInfo.InvariantCulture)} (must be non-negative and finite).", nameof(etaMin));
        TMax = tMax;
        EtaMin = etaMin;
        Apply();
    }

    /// <summary>The number of epochs from the initial learning rate down to <see cref="EtaMin"/>.</summary>
    public int TMax { get; }

    /// <summary>The smallest learning rate, reached at epoch <see cref="TMax"/>.</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(double initialLearningRate, int epoch) =>
        EtaMin + (initialLearningRate - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}
