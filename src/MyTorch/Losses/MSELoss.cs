namespace MyTorch.Losses;

/// <summary>
/// PyTorch's <c>nn.MSELoss</c>: (x - y)^2 element by element, for an input and target of the same shape and
/// dtype. The mean over all elements by default.
/// </summary>
public sealed class MSELoss : Loss
{
    /// <summary>Creates the loss; PyTorch's default is the mean over all elements.</summary>
    public MSELoss(Reduction reduction = Reduction.Mean) : base(reduction) { }

    /// <summary>(input - target)^2, element-wise; differentiable with respect to both.</summary>
    public override Tensor PerElement(Tensor input, Tensor target) => SquaredError(nameof(MSELoss), input, target);

    /// <summary>The checked element-wise (input - target)^2 that the squared-error losses share.</summary>
    internal static Tensor SquaredError(string loss, Tensor input, Tensor target)
    {
        LossChecks.ElementWise(loss, input, target);
        var difference = input - target;
        return difference * difference;
    }
}
