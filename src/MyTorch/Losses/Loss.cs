namespace MyTorch.Losses;

/// <summary>How a loss combines its per-element values.</summary>
public enum Reduction
{
    /// <summary>The mean over all elements (PyTorch's default).</summary>
    Mean,

    /// <summary>The sum over all elements.</summary>
    Sum,

    /// <summary>No reduction: one value per example (or per element).</summary>
    None,
}

/// <summary>
/// The base of every loss: <see cref="PerElement"/> computes unreduced values, and <see cref="Forward"/>
/// reduces them by <see cref="Reduction"/>.
/// </summary>
public abstract class Loss
{
    /// <summary>Sets the reduction.</summary>
    protected Loss(Reduction reduction) => Reduction = reduction;

    /// <summary>How <see cref="Forward"/> combines the per-element values.</summary>
    public Reduction Reduction { get; }

    /// <summary>The unreduced loss: one value per example (classification) or per element (regression).</summary>
    public abstract Tensor PerElement(Tensor input, Tensor target);

    /// <summary>The loss, reduced by <see cref="Reduction"/>.</summary>
    public virtual Tensor Forward(Tensor input, Tensor target) => Reduce(PerElement(input, target), Reduction);

    /// <summary>Applies a reduction.</summary>
    protected static Tensor Reduce(Tensor values, Reduction reduction)
    {
        ArgumentNullException.ThrowIfNull(values);
        return reduction switch
        {
            Reduction.Mean => values.Mean(),
            Reduction.Sum => values.Sum(),
            _ => values,
        };
    }
}
