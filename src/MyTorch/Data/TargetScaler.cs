using System.Diagnostics.CodeAnalysis;
using MyTorch.NN;

namespace MyTorch.Data;

/// <summary>
/// The built-in target scalers (<see cref="StandardScaler"/>, <see cref="MinMaxScaler"/>, <see cref="IdentityScaler"/>):
/// creation by name and the state-dict round trip. The state dict stores the kind in
/// <c>Metadata["scaler"]</c> ("standard", "minmax" or "none") and the statistics as float64 tensors.
/// </summary>
/// <remarks>
/// Integer targets are converted to float32 before scaling. The transforms are ordinary tensor ops, so gradients
/// flow through them, though training normally scales the targets once up front.
/// </remarks>
public abstract class TargetScaler : ITargetScaler
{
    /// <summary>The metadata key under which a state dict stores the scaler's kind.</summary>
    public const string MetadataKey = "scaler";

    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["standard", "minmax", "none"];

    private protected TargetScaler() { }

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public abstract bool IsFitted { get; }

    /// <summary>
    /// Learns each column's statistics from training targets of shape (n, k) (or (n,): one column) with n >= 1 and
    /// only finite values; returns this scaler. Fitting again replaces the statistics.
    /// </summary>
    public TargetScaler Fit(Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ColumnStatistics.Validate(targets, $"{GetType().Name}.Fit", nameof(targets));
        FitCore(targets);
        return this;
    }

    ITargetScaler ITargetScaler.Fit(Tensor targets) => Fit(targets);

    /// <inheritdoc/>
    public Tensor Transform(Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (!IsFitted) ThrowNotFitted(nameof(Transform));
        return TransformCore(ColumnStatistics.AsFloat(targets));
    }

    /// <inheritdoc/>
    public Tensor InverseTransform(Tensor scaled)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        if (!IsFitted) ThrowNotFitted(nameof(InverseTransform));
        return InverseTransformCore(ColumnStatistics.AsFloat(scaled));
    }

    /// <inheritdoc/>
    public StateDict ToStateDict()
    {
        if (!IsFitted) ThrowNotFitted(nameof(ToStateDict));
        var state = new StateDict();
        state.Metadata[MetadataKey] = Name;
        WriteState(state);
        return state;
    }

    /// <summary>An unfitted scaler of the kind <paramref name="name"/> names: "standard", "minmax" or "none" (case-insensitive).</summary>
    public static TargetScaler Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return TryCreate(name) ?? throw new ArgumentException(
            $"TargetScaler.Create: unknown target scaler '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>The fitted scaler a <see cref="ToStateDict"/> call saved.</summary>
    public static TargetScaler FromStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string kind = ColumnStatistics.ReadMetadata(state, MetadataKey, nameof(TargetScaler), string.Join(", ", Names));
        return kind switch
        {
            "standard" => StandardScaler.FromState(state),
            "minmax" => MinMaxScaler.FromState(state),
            "none" => new IdentityScaler(),
            _ => throw new ArgumentException(
                $"TargetScaler.FromStateDict: unknown scaler kind '{kind}' in Metadata[\"{MetadataKey}\"]; expected one of: {string.Join(", ", Names)}.",
                nameof(state)),
        };
    }

    private static TargetScaler? TryCreate(string name) =>
        name.Equals("standard", StringComparison.OrdinalIgnoreCase) ? new StandardScaler()
        : name.Equals("minmax", StringComparison.OrdinalIgnoreCase) ? new MinMaxScaler()
        : name.Equals("none", StringComparison.OrdinalIgnoreCase) ? new IdentityScaler()
        : null;

    /// <summary>Learns the statistics from validated targets.</summary>
    private protected abstract void FitCore(Tensor targets);

    /// <summary>Scales float targets with the fitted statistics.</summary>
    private protected abstract Tensor TransformCore(Tensor targets);

    /// <summary>Unscales float values with the fitted statistics.</summary>
    private protected abstract Tensor InverseTransformCore(Tensor scaled);

    /// <summary>Adds the fitted statistics' tensors to <paramref name="state"/>.</summary>
    private protected abstract void WriteState(StateDict state);

    [DoesNotReturn]
    private void ThrowNotFitted(string op) =>
        throw new InvalidOperationException(
            $"{GetType().Name}.{op}: the scaler has not been fitted; call Fit(trainingTargets) first, or load one with TargetScaler.FromStateDict.");
}
