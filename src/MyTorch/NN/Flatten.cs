using System.Globalization;

namespace MyTorch.NN;

/// <summary>
/// Flattens dimensions <paramref name="startDim"/> through <paramref name="endDim"/> into one, PyTorch's
/// <c>nn.Flatten</c> (defaults 1 and -1: everything but the batch). A view: the values are shared, not copied.
/// </summary>
/// <param name="startDim">The first dimension flattened (negative counts from the end).</param>
/// <param name="endDim">The last dimension flattened (negative counts from the end).</param>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>The first dimension flattened.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>The last dimension flattened.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Reshape(OutputShape(input.ShapeArray));
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    /// <exception cref="TensorShapeException">A dimension is out of range, or the start comes after the end.</exception>
    public int[] OutputShape(params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        int rank = Math.Max(inputShape.Length, 1);
        if (StartDim < -rank || StartDim >= rank || EndDim < -rank || EndDim >= rank)
            throw new TensorShapeException(string.Create(CultureInfo.InvariantCulture,
                $"{OneLineDescription}: input of shape {Shapes.Format(inputShape)} has {inputShape.Length} dimensions; start_dim and end_dim must be in [{-rank}, {rank - 1}]."), nameof(inputShape));
        int start = StartDim < 0 ? StartDim + rank : StartDim, end = EndDim < 0 ? EndDim + rank : EndDim;
        if (start > end)
            throw new TensorShapeException(string.Create(CultureInfo.InvariantCulture,
                $"{OneLineDescription}: start_dim {StartDim} comes after end_dim {EndDim} for an input of shape {Shapes.Format(inputShape)}."), nameof(inputShape));
        if (inputShape.Length == 0) return [1];
        int flattened = 1;
        for (int d = start; d <= end; d++) flattened *= inputShape[d];
        return [.. inputShape[..start], flattened, .. inputShape[(end + 1)..]];
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"start_dim={StartDim}, end_dim={EndDim}");
}

/// <summary>
/// Splits dimension <paramref name="dim"/> into <paramref name="sizes"/>, PyTorch's <c>nn.Unflatten</c>: the inverse of
/// <see cref="Flatten"/>. One size may be -1 (inferred). A view: the values are shared.
/// </summary>
/// <param name="dim">The dimension split (negative counts from the end).</param>
/// <param name="sizes">The sizes it becomes; their product must be its size.</param>
public sealed class Unflatten(int dim, params int[] sizes) : Module
{
    private readonly int[] sizes = (int[])(sizes ?? throw new ArgumentNullException(nameof(sizes))).Clone();

    /// <summary>The dimension split.</summary>
    public int Dim { get; } = dim;

    /// <summary>The sizes it becomes.</summary>
    public IReadOnlyList<int> Sizes => sizes;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Reshape(OutputShape(input.ShapeArray));
    }

    /// <summary>The shape this layer outputs for an input of <paramref name="inputShape"/>.</summary>
    /// <exception cref="TensorShapeException">The dimension is out of range, or the sizes do not multiply to its size.</exception>
    public int[] OutputShape(params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        int d = Shapes.WrapDim(Dim, inputShape.Length, OneLineDescription);
        long known = 1;
        int inferred = -1;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (sizes[i] == -1 && inferred < 0) inferred = i;
            else if (sizes[i] < 0)
                throw new TensorShapeException($"{OneLineDescription}: invalid size {sizes[i]} (one size may be -1).", nameof(inputShape));
            else known *= sizes[i];
        }
        var resolved = (int[])sizes.Clone();
        if (inferred >= 0 && known > 0 && inputShape[d] % known == 0) resolved[inferred] = (int)(inputShape[d] / known);
        else if (inferred >= 0 || known != inputShape[d])
            throw new TensorShapeException(string.Create(CultureInfo.InvariantCulture,
                $"{OneLineDescription}: dimension {Dim} of an input of shape {Shapes.Format(inputShape)} has size {inputShape[d]}, which is not {Shapes.Format(sizes)}."),
                nameof(inputShape));
        return [.. inputShape[..d], .. resolved, .. inputShape[(d + 1)..]];
    }

    /// <inheritdoc/>
    protected override string ExtraDescription => string.Create(CultureInfo.InvariantCulture, $"dim={Dim}, unflattened_size={Shapes.Format(sizes)}");
}
