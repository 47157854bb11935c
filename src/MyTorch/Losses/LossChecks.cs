using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace MyTorch.Losses;

/// <summary>
/// Argument checks shared by the losses. Every error names the loss and the shapes, element types or values
/// involved; the throws live in small cold helpers so the checks stay cheap.
/// </summary>
internal static class LossChecks
{
    /// <summary>An element-wise loss's operands: both floating point, of one dtype and exactly one shape (no broadcasting).</summary>
    public static void ElementWise(string loss, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        RequireFloat(loss, input, "input");
        RequireFloat(loss, target, "target");
        if (!Shapes.Equal(input.Shape, target.Shape))
            ThrowShapeMismatch(loss, input, target, "they must have the same shape");
        if (input.DType != target.DType) ThrowDTypeMismatch(loss, input, target);
    }

    /// <summary>A classification input: floating point, shaped (batch, classes) with at least one class.</summary>
    public static void BatchOfScores(string loss, Tensor input, string what)
    {
        ArgumentNullException.ThrowIfNull(input);
        RequireFloat(loss, input, "input");
        if (input.Rank != 2 || input.Shape[1] == 0)
            throw new TensorShapeException(
                $"{loss}: input must be {what} of shape (batch, classes) with at least one class, got shape {Shapes.Format(input.Shape)}.",
                nameof(input));
    }

    /// <summary>
    /// Class-index targets for a (batch, classes) input: int64, shape (batch,), every value in [0, classes). The values are
    /// checked as a launch, so a planned step checks each batch's targets before it changes anything.
    /// </summary>
    public static void ClassIndices(string loss, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        int batch = input.Shape[0], classes = input.Shape[1];
        if (target.DType != DType.Int64)
            throw new TensorShapeException(
                $"{loss}: target must hold int64 class indices of shape ({batch},), got {target.DType.Name()} of shape " +
                $"{Shapes.Format(target.Shape)}. Convert labels with To(DType.Int64).", nameof(target));
        if (target.Rank != 1 || target.Shape[0] != batch)
            ThrowShapeMismatch(loss, input, target, $"class indices must have shape ({batch},), one per row of the input");
        Compiled.Recording.Check(target, (loss, target, classes), static s =>
        {
            var indices = s.target.I64;
            for (int i = 0; i < indices.Length; i++)
                if ((ulong)indices[i] >= (ulong)s.classes) ThrowClassOutOfRange(s.loss, indices[i], i, s.classes, nameof(target));
        });
    }

    /// <summary>Probability (or one-hot) targets: the input's dtype and shape.</summary>
    public static void ProbabilityRows(string loss, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!Shapes.Equal(input.Shape, target.Shape))
        {
            string expectation = target.Rank == 1
                ? $"class indices must be int64 of shape ({input.Shape[0]},), and probability targets must have the input's shape"
                : $"expected int64 class indices of shape ({input.Shape[0]},) or probabilities of shape {Shapes.Format(input.Shape)}";
            ThrowShapeMismatch(loss, input, target, expectation);
        }
        RequireFloat(loss, target, "target");
        if (input.DType != target.DType) ThrowDTypeMismatch(loss, input, target);
    }

    /// <summary>Probabilities for BCELoss: every element in [0, 1] (NaN fails too), as PyTorch requires.</summary>
    public static void Probabilities(string loss, Tensor input) =>
        Compiled.Recording.Check(input, (loss, input), static s =>
        {
            for (int i = 0; i < s.input.Count; i++)
            {
                double p = s.input.GetDouble(i);
                if (!(p >= 0 && p <= 1)) ThrowNotProbability(s.loss, s.input, i, p, nameof(input));
            }
        });

    private static void RequireFloat(string loss, Tensor tensor, string role)
    {
        if (!tensor.DType.IsFloatingPoint())
            throw new TensorShapeException(
                $"{loss}: {role} must be float32 or float64, got {tensor.DType.Name()} of shape {Shapes.Format(tensor.Shape)}.", role);
    }

    [DoesNotReturn]
    private static void ThrowShapeMismatch(string loss, Tensor input, Tensor target, string expectation) =>
        throw new TensorShapeException(
            $"{loss}: input has shape {Shapes.Format(input.Shape)} but target has shape {Shapes.Format(target.Shape)}; {expectation}.",
            nameof(target));

    [DoesNotReturn]
    private static void ThrowDTypeMismatch(string loss, Tensor input, Tensor target) =>
        throw new TensorShapeException(
            $"{loss}: input is {input.DType.Name()} {Shapes.Format(input.Shape)} but target is {target.DType.Name()} " +
            $"{Shapes.Format(target.Shape)}; convert one with To(DType).", nameof(target));

    [DoesNotReturn]
    private static void ThrowClassOutOfRange(string loss, long index, int position, int classes, string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, index, string.Create(CultureInfo.InvariantCulture,
            $"{loss}: target class index {index} at position {position} is out of range for {classes} classes " +
            $"(expected 0 to {classes - 1})."));

    [DoesNotReturn]
    private static void ThrowNotProbability(string loss, Tensor input, int flatIndex, double value, string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, value, string.Create(CultureInfo.InvariantCulture,
            $"{loss}: every input element must be a probability in [0, 1]; element {flatIndex} of shape " +
            $"{Shapes.Format(input.Shape)} is {value:R}. Pass logits to BCEWithLogitsLoss instead."));
}
