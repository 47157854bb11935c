using MyTorch.NN;

namespace MyTorch.Data;

/// <summary>
/// Leaves targets as they are ("none"): for targets already on a similar scale. It needs no statistics, so it
/// counts as fitted from the start; <see cref="TargetScaler.Fit"/> only checks the targets.
/// </summary>
public sealed class IdentityScaler : TargetScaler
{
    /// <summary>Creates the scaler.</summary>
    public IdentityScaler() { }

    /// <inheritdoc/>
    public override string Name => "none";

    /// <inheritdoc/>
    public override bool IsFitted => true;

    private protected override void FitCore(Tensor targets) { }

    private protected override Tensor TransformCore(Tensor targets) => targets;

    private protected override Tensor InverseTransformCore(Tensor scaled) => scaled;

    private protected override void WriteState(StateDict state) { }
}
