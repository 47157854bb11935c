using System.Globalization;

namespace MyTorch.Optim;

/// <summary>
/// Decays the learning rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs, as PyTorch's
/// <c>StepLR</c>: <c>lr(epoch) = initialLr * gamma^floor(epoch / stepSize)</c>.
/// </summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Attaches the schedule to <paramref name="optimizer"/> and sets the epoch-0 learning rates.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0)
            throw new ArgumentException($"StepLR: invalid step size: {stepSize.ToString(CultureInfo.InvariantCulture)} (must be positive).", nameof(stepSize));
        if (!(gamma > 0) || double.IsInfinity(gamma))
            throw new ArgumentException($"StepLR: invalid gamma: {gamma.ToString(CultureInfo.InvariantCulture)} (must be positive and finite).", nameof(gamma));
        StepSize = stepSize;
        Gamma = gamma;
        Apply();
    }

    /// <summary>The number of epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>The factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(double initialLearningRate, int epoch) =>
        initialLearningRate * Math.Pow(Gamma, epoch / StepSize);
}
