using MyTorch.NN;

namespace MyTorch.Data;

/// <summary>
/// Scales each target column to mean 0 and standard deviation 1: <c>(y - mean) / std</c>, with the population
/// standard deviation of the training targets. A constant column gets std 1, so it is only centred.
/// </summary>
public sealed class StandardScaler : TargetScaler
{
    private Tensor? mean;
    private Tensor? std;

    /// <summary>Creates an unfitted scaler; call <see cref="TargetScaler.Fit"/> on the training targets.</summary>
    public StandardScaler() { }

    /// <inheritdoc/>
    public override string Name => "standard";

    /// <inheritdoc/>
    public override bool IsFitted => mean is not null;

    /// <summary>A copy of each column's mean (float64), or null before fitting.</summary>
    public Tensor? Mean => mean?.Detach().Clone();

    /// <summary>A copy of each column's standard deviation as used for dividing (1 for constant columns), or null before fitting.</summary>
    public Tensor? Std => std?.Detach().Clone();

    private protected override void FitCore(Tensor targets)
    {
        var statistics = ColumnStatistics.Compute(targets, perColumn: true);
        (mean, std) = (statistics.Mean, statistics.NonZeroStd());
    }

    private protected override Tensor TransformCore(Tensor targets)
    {
        ColumnStatistics.CheckTrailingShape(targets, mean!, "StandardScaler.Transform");
        return (targets - mean!.To(targets.DType)) / std!.To(targets.DType);
    }

    private protected override Tensor InverseTransformCore(Tensor scaled)
    {
        ColumnStatistics.CheckTrailingShape(scaled, mean!, "StandardScaler.InverseTransform");
        return scaled * std!.To(scaled.DType) + mean!.To(scaled.DType);
    }

    private protected override void WriteState(StateDict state)
    {
        state.Add("mean", mean!.Detach().Clone());
        state.Add("std", std!.Detach().Clone());
    }

    internal static StandardScaler FromState(StateDict state)
    {
        var mean = ColumnStatistics.ReadTensor(state, "mean", nameof(StandardScaler));
        var std = ColumnStatistics.ReadScale(state, "std", mean, nameof(StandardScaler));
        return new StandardScaler { mean = mean, std = std };
    }
}
