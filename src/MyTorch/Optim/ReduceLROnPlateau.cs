using System.Globalization;

namespace MyTorch.Optim;

/// <summary>Whether a monitored quantity improves as it falls (a loss) or as it rises (an accuracy).</summary>
public enum MonitorMode
{
    /// <summary>Lower is better.</summary>
    Min,
    /// <summary>Higher is better.</summary>
    Max,
}

/// <summary>How the threshold of an improvement is read: relative to the best value, or in its units.</summary>
public enum ThresholdMode
{
    /// <summary>An improvement beats <c>best * (1 - threshold)</c> (min) or <c>best * (1 + threshold)</c> (max).</summary>
    Relative,
    /// <summary>An improvement beats <c>best - threshold</c> (min) or <c>best + threshold</c> (max).</summary>
    Absolute,
}

/// <summary>
/// Multiplies every group's learning rate by <see cref="Factor"/> when a monitored metric has not improved for more
/// than <see cref="Patience"/> epochs, as PyTorch's <c>ReduceLROnPlateau</c>, with its defaults (mode min, factor 0.1,
/// patience 10, threshold 1e-4 relative, no cooldown, min_lr 0, eps 1e-8). Call <see cref="Step"/> once per epoch
/// with the metric (the validation loss, say). Unlike the closed-form <see cref="LRScheduler"/>s, the rate depends on
/// the metrics seen, so it does not derive from that class.
/// </summary>
/// <example><code>
/// var plateau = new ReduceLROnPlateau(optimizer, factor: 0.5, patience: 2);
/// foreach (double validationLoss in new[] { 1.0, 0.9, 0.95, 0.93, 0.92 }) plateau.Step(validationLoss);
/// // lr is halved after the third epoch without improvement on 0.9
/// </code></example>
public sealed class ReduceLROnPlateau
{
    private readonly double[] minLearningRates;

    /// <summary>Attaches to <paramref name="optimizer"/>; the arguments are PyTorch's, with its defaults.</summary>
    public ReduceLROnPlateau(Optimizer optimizer, MonitorMode mode = MonitorMode.Min, double factor = 0.1, int patience = 10,
        double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Relative, int cooldown = 0, double minLearningRate = 0, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!(factor < 1) || !(factor >= 0))
            throw new ArgumentException($"ReduceLROnPlateau: invalid factor: {Text(factor)} (must be in [0, 1)).", nameof(factor));
        if (patience < 0) throw new ArgumentException($"ReduceLROnPlateau: invalid patience: {patience} (must be 0 or more).", nameof(patience));
        if (cooldown < 0) throw new ArgumentException($"ReduceLROnPlateau: invalid cooldown: {cooldown} (must be 0 or more).", nameof(cooldown));
        if (!(threshold >= 0) || double.IsInfinity(threshold))
            throw new ArgumentException($"ReduceLROnPlateau: invalid threshold: {Text(threshold)} (must be non-negative and finite).", nameof(threshold));
        if (!(minLearningRate >= 0) || double.IsInfinity(minLearningRate))
            throw new ArgumentException($"ReduceLROnPlateau: invalid minimum learning rate: {Text(minLearningRate)} (must be non-negative and finite).", nameof(minLearningRate));
        Optimizer = optimizer;
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        Eps = eps;
        minLearningRates = Enumerable.Repeat(minLearningRate, optimizer.ParamGroups.Count).ToArray();
        Best = Worst;
    }

    /// <summary>The optimizer whose learning rates are reduced.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Whether the metric should fall or rise.</summary>
    public MonitorMode Mode { get; }

    /// <summary>The factor a reduction multiplies the learning rates by.</summary>
    public double Factor { get; }

    /// <summary>The number of epochs without improvement tolerated; the next one reduces the learning rate.</summary>
    public int Patience { get; }

    /// <summary>The smallest change that counts as an improvement (see <see cref="ThresholdMode"/>).</summary>
    public double Threshold { get; }

    /// <summary>How <see cref="Threshold"/> is read.</summary>
    public ThresholdMode ThresholdMode { get; }

    /// <summary>The epochs after a reduction during which epochs without improvement are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>A reduction smaller than this is not made.</summary>
    public double Eps { get; }

    /// <summary>The best metric so far (infinity, or minus infinity in max mode, before the first step).</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive epochs without improvement (reset by a reduction and during the cooldown).</summary>
    public int BadEpochs { get; private set; }

    /// <summary>The epochs of cooldown left.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>The number of <see cref="Step"/> calls so far.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Each group's current learning rate.</summary>
    public IReadOnlyList<double> LastLearningRates => Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();

    private double Worst => Mode == MonitorMode.Min ? double.PositiveInfinity : double.NegativeInfinity;

    /// <summary>Whether <paramref name="value"/> improves on <see cref="Best"/> by more than the threshold.</summary>
    public bool IsBetter(double value) => (Mode, ThresholdMode) switch
    {
        (MonitorMode.Min, ThresholdMode.Relative) => value < Best * (1 - Threshold),
        (MonitorMode.Min, ThresholdMode.Absolute) => value < Best - Threshold,
        (MonitorMode.Max, ThresholdMode.Relative) => value > Best * (Threshold + 1),
        _ => value > Best + Threshold,
    };

    /// <summary>Ends an epoch whose monitored metric was <paramref name="metric"/>; reduces the learning rates after too many epochs without improvement.</summary>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric))
        {
            Best = metric;
            BadEpochs = 0;
        }
        else
        {
            BadEpochs++;
        }
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            BadEpochs = 0;
        }
        if (BadEpochs > Patience)
        {
            var groups = Optimizer.ParamGroups;
            for (int g = 0; g < groups.Count; g++)
            {
                double old = groups[g].LearningRate;
                double reduced = Math.Max(old * Factor, minLearningRates[g]);
                if (old - reduced > Eps) groups[g].LearningRate = reduced;
            }
            CooldownCounter = Cooldown;
            BadEpochs = 0;
        }
    }

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);
}
