using System.Globalization;
using MyTorch.NN;

namespace MyTorch.Data;

/// <summary>
/// Scales each target column to [0, 1]: <c>(y - min) / (max - min)</c> with the training targets' minimum and
/// maximum. A constant column gets range 1, so it maps to 0. Values outside the training range map outside [0, 1].
/// </summary>
public sealed class MinMaxScaler : TargetScaler
{
    private Tensor? min;
    private Tensor? max;
    private Tensor? range;

    /// <summary>Creates an unfitted scaler; call <see cref="TargetScaler.Fit"/> on the training targets.</summary>
    public MinMaxScaler() { }

    /// <summary>
    /// A scaler fitted from known bounds instead of data, per column (seed 000's answer: divide an income in
    /// 0..10,000 by 10,000 and an age in 0..100 by 100 is <c>FromBounds([0, 0], [10000, 100])</c>).
    /// </summary>
    public static MinMaxScaler FromBounds(double[] lower, double[] upper)
    {
        ArgumentNullException.ThrowIfNull(lower);
        ArgumentNullException.ThrowIfNull(upper);
        if (lower.Length != upper.Length || lower.Length == 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"MinMaxScaler.FromBounds: needs one lower and one upper bound per column; got {lower.Length} lower and {upper.Length} upper."), nameof(upper));
        for (int i = 0; i < lower.Length; i++)
            if (!double.IsFinite(lower[i]) || !double.IsFinite(upper[i]) || lower[i] > upper[i])
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"MinMaxScaler.FromBounds: column {i} has bounds [{lower[i]}, {upper[i]}]; they must be finite with lower <= upper."), nameof(upper));
        return FromMinMax(Tensor.FromArray(lower), Tensor.FromArray(upper));
    }

    /// <inheritdoc/>
    public override string Name => "minmax";

    /// <inheritdoc/>
    public override bool IsFitted => min is not null;

    /// <summary>A copy of each column's minimum (float64), or null before fitting.</summary>
    public Tensor? Min => min?.Detach().Clone();

    /// <summary>A copy of each column's maximum (float64), or null before fitting.</summary>
    public Tensor? Max => max?.Detach().Clone();

    /// <summary>A copy of each column's max - min as used for dividing (1 for constant columns), or null before fitting.</summary>
    public Tensor? Range => range?.Detach().Clone();

    private protected override void FitCore(Tensor targets)
    {
        var statistics = ColumnStatistics.Compute(targets, perColumn: true);
        (min, max, range) = (statistics.Min, statistics.Max, statistics.NonZeroRange());
    }

    private protected override Tensor TransformCore(Tensor targets)
    {
        ColumnStatistics.CheckTrailingShape(targets, min!, "MinMaxScaler.Transform");
        return (targets - min!.To(targets.DType)) / range!.To(targets.DType);
    }

    private protected override Tensor InverseTransformCore(Tensor scaled)
    {
        ColumnStatistics.CheckTrailingShape(scaled, min!, "MinMaxScaler.InverseTransform");
        return scaled * range!.To(scaled.DType) + min!.To(scaled.DType);
    }

    private protected override void WriteState(StateDict state)
    {
        state.Add("min", min!.Detach().Clone());
        state.Add("max", max!.Detach().Clone());
    }

    internal static MinMaxScaler FromState(StateDict state)
    {
        var min = ColumnStatistics.ReadTensor(state, "min", nameof(MinMaxScaler));
        var max = ColumnStatistics.ReadTensor(state, "max", nameof(MinMaxScaler));
        if (!min.Shape.SequenceEqual(max.Shape))
            throw new TensorShapeException(
                $"MinMaxScaler.FromStateDict: 'min' has shape {Shapes.Format(min.Shape)} but 'max' has {Shapes.Format(max.Shape)}.", nameof(state));
        var low = min.ToArray<double>();
        var high = max.ToArray<double>();
        for (int i = 0; i < low.Length; i++)
            if (low[i] > high[i])
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"MinMaxScaler.FromStateDict: column {i} has min {low[i]} above max {high[i]}."), nameof(state));
        return FromMinMax(min, max);
    }

    private static MinMaxScaler FromMinMax(Tensor min, Tensor max)
    {
        var low = min.ToArray<double>();
        var width = max.ToArray<double>();
        for (int i = 0; i < width.Length; i++) width[i] = width[i] == low[i] ? 1 : width[i] - low[i];
        return new MinMaxScaler { min = min, max = max, range = Tensor.FromArray(width, min.Shape.ToArray()) };
    }
}
