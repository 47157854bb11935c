using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using MyTorch.Kernels;
using MyTorch.NN;

namespace MyTorch.Data;

/// <summary>
/// Input normalization, fitted on the training inputs and applied to every split alike: either a fixed divisor
/// (<see cref="Scale"/>: pixels / 255 puts images in [0, 1]) or standardization to mean 0 and standard
/// deviation 1 (<see cref="Standardize"/>), with one mean and std over all inputs or one per feature.
/// </summary>
/// <remarks>
/// The state dict stores the kind in <c>Metadata["normalizer"]</c> ("scale" or "standardize"), the divisor in
/// <c>Metadata["divisor"]</c>, whether statistics are per feature in <c>Metadata["per_feature"]</c>, and the
/// statistics as float64 tensors "mean" and "std". Integer inputs are converted to float32 first.
/// </remarks>
public sealed class InputNormalizer
{
    /// <summary>The metadata key under which a state dict stores the normalizer's kind.</summary>
    public const string MetadataKey = "normalizer";

    private const string ScaleName = "scale";
    private const string StandardizeName = "standardize";

    private Tensor? mean;
    private Tensor? std;

    private readonly double scaleDivisor;

    private InputNormalizer(string name, double divisor, bool perFeature) => (Name, scaleDivisor, PerFeature) = (name, divisor, perFeature);

    /// <summary>Divides every input by <paramref name="divisor"/> (finite and positive); needs no fitting. <c>Scale(255)</c> for 8-bit images.</summary>
    public static InputNormalizer Scale(double divisor)
    {
        if (!double.IsFinite(divisor) || divisor <= 0)
            throw new ArgumentOutOfRangeException(nameof(divisor), divisor,
                string.Create(CultureInfo.InvariantCulture, $"InputNormalizer.Scale: divisor must be finite and positive, got {divisor}."));
        return new InputNormalizer(ScaleName, divisor, perFeature: false);
    }

    /// <summary>
    /// Standardizes inputs to <c>(x - mean) / std</c> with the training inputs' population statistics: one mean and
    /// std over all elements, or, when <paramref name="perFeature"/>, one per feature (each position after dimension 0).
    /// A constant feature (or constant data) gets std 1. Call <see cref="Fit"/> before transforming.
    /// </summary>
    public static InputNormalizer Standardize(bool perFeature = false) => new(StandardizeName, double.NaN, perFeature);

    /// <summary>"scale" or "standardize".</summary>
    public string Name { get; }

    /// <summary>Whether <see cref="Standardize"/> keeps one mean and std per feature rather than one overall.</summary>
    public bool PerFeature { get; }

    /// <summary>The divisor of a <see cref="Scale"/> normalizer; null for a standardizing one.</summary>
    public double? Divisor => Name == ScaleName ? scaleDivisor : null;

    /// <summary>Whether <see cref="Transform"/> can run: always for <see cref="Scale"/>, after <see cref="Fit"/> for <see cref="Standardize"/>.</summary>
    public bool IsFitted => Name == ScaleName || mean is not null;

    /// <summary>A copy of the fitted mean (float64; 0-d, or one per feature), or null when there is none.</summary>
    public Tensor? Mean => mean?.Detach().Clone();

    /// <summary>A copy of the fitted standard deviation as used for dividing (1 where constant), or null when there is none.</summary>
    public Tensor? Std => std?.Detach().Clone();

    /// <summary>
    /// Learns the statistics from training inputs of shape (n, ...) with n >= 1 and only finite values; returns this
    /// normalizer. A <see cref="Scale"/> normalizer has nothing to learn.
    /// </summary>
    public InputNormalizer Fit(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (Name == ScaleName) return this;
        var statistics = ColumnStatistics.ComputeValidated(inputs, PerFeature, "InputNormalizer.Fit", nameof(inputs));
        (mean, std) = (statistics.Mean, statistics.NonZeroStd());
        return this;
    }

    /// <summary>Normalizes inputs of shape (n, ...) or one example of the per-feature shape.</summary>
    public Tensor Transform(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var x = ColumnStatistics.AsFloat(inputs);
        // Inputs that autograd follows, or anomaly detection watches, go through the ops, which record and check;
        // all others take one pass with no temporaries. Both round each element the same way.
        if (inputs.RequiresGrad || AnomalyMode.IsEnabled)
        {
            if (Name == ScaleName) return x / scaleDivisor;
            var (m, s) = Statistics(x, nameof(Transform));
            return (x - m) / s;
        }
        // A converted copy of integer inputs is already new, so it is normalized where it is.
        var result = ReferenceEquals(x, inputs) ? Tensor.EmptyLike(x) : x;
        Apply(x, result, nameof(Transform));
        return result;
    }

    /// <summary>
    /// Normalizes float32 or float64 <paramref name="inputs"/> of shape (n, ...) in place, with exactly the values
    /// <see cref="Transform"/> returns, and returns them: for a data set nothing else reads, it saves a second copy.
    /// Not recorded in the graph.
    /// </summary>
    /// <exception cref="ArgumentException">The inputs are not float32 or float64, or require grad (normalizing them in
    /// place would change a tensor the graph has saved; use <see cref="Transform"/>).</exception>
    public Tensor TransformInPlace(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (!inputs.DType.IsFloatingPoint())
            throw new ArgumentException(
                $"InputNormalizer.TransformInPlace: needs float32 or float64 inputs to overwrite, got {inputs.DType.Name()} {Shapes.Format(inputs.Shape)}; use Transform, which converts.",
                nameof(inputs));
        if (inputs.RequiresGrad)
            throw new ArgumentException(
                "InputNormalizer.TransformInPlace: the inputs require grad, and overwriting them would change values the graph may have saved; use Transform.",
                nameof(inputs));
        Apply(inputs, inputs, nameof(TransformInPlace));
        return inputs;
    }

    /// <summary>
    /// destination = (x - mean) / std, or x / divisor, with the statistics in x's dtype as the ops would convert
    /// them; <paramref name="destination"/> may be <paramref name="x"/>. Each element gets the same two roundings
    /// as the broadcasting ops give it.
    /// </summary>
    private void Apply(Tensor x, Tensor destination, string op)
    {
        if (Name == ScaleName)
        {
            if (x.DType == DType.Float32) DataKernels.Divide(x.F32, (float)scaleDivisor, destination.F32);
            else DataKernels.Divide(x.F64, scaleDivisor, destination.F64);
            return;
        }
        var (m, s) = Statistics(x, op);
        if (x.DType == DType.Float32) DataKernels.Standardize<float>(x.F32, m.F32, s.F32, destination.F32);
        else DataKernels.Standardize<double>(x.F64, m.F64, s.F64, destination.F64);
    }

    /// <summary>Undoes <see cref="Transform"/>.</summary>
    public Tensor InverseTransform(Tensor normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        var z = ColumnStatistics.AsFloat(normalized);
        if (Name == ScaleName) return z * scaleDivisor;
        var (m, s) = Statistics(z, nameof(InverseTransform));
        return z * s + m;
    }

    /// <summary>The kind, its settings and the fitted statistics, for saving next to the model.</summary>
    public StateDict ToStateDict()
    {
        if (!IsFitted) ThrowNotFitted(nameof(ToStateDict));
        var state = new StateDict();
        state.Metadata[MetadataKey] = Name;
        if (Name == ScaleName)
        {
            state.Metadata["divisor"] = scaleDivisor.ToString("R", CultureInfo.InvariantCulture);
            return state;
        }
        state.Metadata["per_feature"] = PerFeature ? "true" : "false";
        state.Add("mean", mean!.Detach().Clone());
        state.Add("std", std!.Detach().Clone());
        return state;
    }

    /// <summary>The normalizer a <see cref="ToStateDict"/> call saved.</summary>
    public static InputNormalizer FromStateDict(StateDict state)
    {
        ArgumentNullException.ThrowIfNull(state);
        const string owner = nameof(InputNormalizer);
        string kind = ColumnStatistics.ReadMetadata(state, MetadataKey, owner, $"{ScaleName} or {StandardizeName}");
        if (kind == ScaleName)
        {
            string text = ColumnStatistics.ReadMetadata(state, "divisor", owner, "a positive number");
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double divisor) || !double.IsFinite(divisor) || divisor <= 0)
                throw new ArgumentException($"InputNormalizer.FromStateDict: Metadata[\"divisor\"] = '{text}' is not a finite positive number.", nameof(state));
            return Scale(divisor);
        }
        if (kind != StandardizeName)
            throw new ArgumentException(
                $"InputNormalizer.FromStateDict: unknown normalizer kind '{kind}' in Metadata[\"{MetadataKey}\"]; expected {ScaleName} or {StandardizeName}.",
                nameof(state));
        string perFeature = ColumnStatistics.ReadMetadata(state, "per_feature", owner, "true or false");
        if (perFeature is not ("true" or "false"))
            throw new ArgumentException($"InputNormalizer.FromStateDict: Metadata[\"per_feature\"] = '{perFeature}' is not true or false.", nameof(state));
        var mean = ColumnStatistics.ReadTensor(state, "mean", owner);
        var std = ColumnStatistics.ReadScale(state, "std", mean, owner);
        return new InputNormalizer(StandardizeName, double.NaN, perFeature == "true") { mean = mean, std = std };
    }

    private (Tensor Mean, Tensor Std) Statistics(Tensor x, string op)
    {
        if (mean is null || std is null) ThrowNotFitted(op);
        ColumnStatistics.CheckTrailingShape(x, mean, $"InputNormalizer.{op}");
        return (mean.To(x.DType), std.To(x.DType));
    }

    [DoesNotReturn]
    private static void ThrowNotFitted(string op) =>
        throw new InvalidOperationException(
            $"InputNormalizer.{op}: the normalizer has not been fitted; call Fit(trainingInputs) first, or load one with InputNormalizer.FromStateDict.");
}
