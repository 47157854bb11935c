using System.Globalization;

namespace MyTorch.Optim;

/// <summary>How a one-cycle phase moves from its start value to its end value.</summary>
public enum AnnealStrategy
{
    /// <summary>Half a cosine: <c>end + (start - end) / 2 * (cos(pi * pct) + 1)</c>.</summary>
    Cosine,
    /// <summary>A straight line: <c>start + (end - start) * pct</c>.</summary>
    Linear,
}

/// <summary>
/// The one-cycle policy (PyTorch's <c>OneCycleLR</c>, with its defaults): the learning rate warms up from
/// <c>maxLr / divFactor</c> to <see cref="MaxLearningRate"/> over the first <see cref="PctStart"/> of the steps, then
/// anneals to <c>initialLr / finalDivFactor</c>; the momentum (SGD's <c>momentum</c>, Adam's <c>beta1</c>) moves the
/// opposite way between <see cref="MaxMomentum"/> and <see cref="BaseMomentum"/>. It is stepped once per batch, after
/// the optimizer's step, <see cref="TotalSteps"/> - 1 times in all; one more step throws.
/// </summary>
/// <example><code>
/// var schedule = new OneCycleLR(optimizer, maxLearningRate: 0.1, totalSteps: 100);
/// for (int step = 0; step &lt; 99; step++) schedule.Step();   // once per batch, after optimizer.Step()
/// </code></example>
public sealed class OneCycleLR : LRScheduler
{
    private readonly string? momentumOption;
    private readonly (double EndStep, Func<double> StartLr, Func<double> EndLr, double StartMomentum, double EndMomentum)[] phases;

    /// <summary>
    /// Attaches to <paramref name="optimizer"/> for <paramref name="totalSteps"/> steps (or
    /// <paramref name="epochs"/> x <paramref name="stepsPerEpoch"/>) and sets the step-0 learning rate (and momentum).
    /// </summary>
    public OneCycleLR(Optimizer optimizer, double maxLearningRate, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
        double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cosine, bool cycleMomentum = true,
        double baseMomentum = 0.85, double maxMomentum = 0.95, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : base(optimizer)
    {
        if (!(maxLearningRate > 0) || double.IsInfinity(maxLearningRate))
            throw new ArgumentException($"OneCycleLR: invalid max learning rate: {Text(maxLearningRate)} (must be positive and finite).", nameof(maxLearningRate));
        if (totalSteps is int total)
        {
            if (total <= 0) throw new ArgumentException($"OneCycleLR: expected a positive total number of steps, got {total}.", nameof(totalSteps));
            TotalSteps = total;
        }
        else if (epochs is int e && stepsPerEpoch is int s)
        {
            if (e <= 0) throw new ArgumentException($"OneCycleLR: expected a positive number of epochs, got {e}.", nameof(epochs));
            if (s <= 0) throw new ArgumentException($"OneCycleLR: expected a positive number of steps per epoch, got {s}.", nameof(stepsPerEpoch));
            TotalSteps = checked(e * s);
        }
        else
        {
            throw new ArgumentException("OneCycleLR: give totalSteps, or both epochs and stepsPerEpoch.", nameof(totalSteps));
        }
        if (!(pctStart >= 0 && pctStart <= 1))
            throw new ArgumentException($"OneCycleLR: expected pctStart in [0, 1], got {Text(pctStart)}.", nameof(pctStart));
        if (!(divFactor > 0) || !(finalDivFactor > 0))
            throw new ArgumentException($"OneCycleLR: divFactor and finalDivFactor must be positive, got {Text(divFactor)} and {Text(finalDivFactor)}.", nameof(divFactor));
        MaxLearningRate = maxLearningRate;
        PctStart = pctStart;
        Strategy = annealStrategy;
        CycleMomentum = cycleMomentum;
        BaseMomentum = baseMomentum;
        MaxMomentum = maxMomentum;
        InitialLearningRate = maxLearningRate / divFactor;
        MinLearningRate = InitialLearningRate / finalDivFactor;
        if (cycleMomentum)
        {
            var options = optimizer.ParamGroups[0].Options;
            momentumOption = options.ContainsKey("momentum") ? "momentum" : options.ContainsKey(AdamUpdate.Beta1) ? AdamUpdate.Beta1
                : throw new ArgumentException($"OneCycleLR: {optimizer.GetType().Name} has no momentum to cycle; pass cycleMomentum: false.", nameof(optimizer));
        }
        double initial = InitialLearningRate, max = MaxLearningRate, min = MinLearningRate;
        phases = threePhase
            ?
            [
                (pctStart * TotalSteps - 1, () => initial, () => max, maxMomentum, baseMomentum),
                (2 * pctStart * TotalSteps - 2, () => max, () => initial, baseMomentum, maxMomentum),
                (TotalSteps - 1, () => initial, () => min, maxMomentum, maxMomentum),
            ]
            :
            [
                (pctStart * TotalSteps - 1, () => initial, () => max, maxMomentum, baseMomentum),
                (TotalSteps - 1, () => max, () => min, baseMomentum, maxMomentum),
            ];
        Apply();
    }

    /// <summary>The peak learning rate.</summary>
    public double MaxLearningRate { get; }

    /// <summary>The learning rate at step 0: <c>maxLr / divFactor</c>.</summary>
    public double InitialLearningRate { get; }

    /// <summary>The learning rate at the last step: <c>initialLr / finalDivFactor</c>.</summary>
    public double MinLearningRate { get; }

    /// <summary>The number of steps in the cycle.</summary>
    public int TotalSteps { get; }

    /// <summary>The fraction of the steps spent warming up.</summary>
    public double PctStart { get; }

    /// <summary>Cosine or linear annealing.</summary>
    public AnnealStrategy Strategy { get; }

    /// <summary>Whether the momentum is cycled against the learning rate.</summary>
    public bool CycleMomentum { get; }

    /// <summary>The momentum at the peak learning rate.</summary>
    public double BaseMomentum { get; }

    /// <summary>The momentum at the ends of the cycle.</summary>
    public double MaxMomentum { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(double initialLearningRate, int epoch)
    {
        var (pct, phase) = Locate(epoch);
        return Anneal(phases[phase].StartLr(), phases[phase].EndLr(), pct);
    }

    /// <summary>The momentum at step <paramref name="step"/>.</summary>
    public double MomentumAt(int step)
    {
        var (pct, phase) = Locate(step);
        return Anneal(phases[phase].StartMomentum, phases[phase].EndMomentum, pct);
    }

    /// <inheritdoc/>
    protected override void EpochSet(int epoch)
    {
        if (momentumOption is null) return;
        double momentum = MomentumAt(epoch);
        foreach (var group in Optimizer.ParamGroups) group.Options[momentumOption] = momentum;
    }

    private (double Pct, int Phase) Locate(int step)
    {
        if (step > TotalSteps)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"OneCycleLR: tried to step {step} times; the specified number of total steps is {TotalSteps}."));
        double start = 0;
        for (int i = 0; i < phases.Length; i++)
        {
            double end = phases[i].EndStep;
            if (step <= end || i == phases.Length - 1) return ((step - start) / (end - start), i);
            start = end;
        }
        throw new InvalidOperationException("OneCycleLR: no phase.");
    }

    private double Anneal(double start, double end, double pct) => Strategy == AnnealStrategy.Cosine
        ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)
        : (end - start) * pct + start;

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
