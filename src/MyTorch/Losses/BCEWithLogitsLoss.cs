namespace MyTorch.Losses;

/// <summary>
/// PyTorch's <c>nn.BCEWithLogitsLoss</c>: binary cross-entropy of sigmoid(x) against y, computed from the
/// logits x in the stable form max(x, 0) - x y + log(1 + exp(-|x|)), so any logit gives an exact, finite loss.
/// The gradient with respect to x is sigmoid(x) - y. The mean over all elements by default.
/// </summary>
public sealed class BCEWithLogitsLoss : Loss
{
    /// <summary>Creates the loss; PyTorch's default is the mean over all elements.</summary>
    public BCEWithLogitsLoss(Reduction reduction = Reduction.Mean) : base(reduction) { }

    /// <summary>max(x, 0) - x y + log(1 + exp(-|x|)), element-wise, for logits x and targets y of the same shape.</summary>
    public override Tensor PerElement(Tensor input, Tensor target)
    {
        LossChecks.ElementWise(nameof(BCEWithLogitsLoss), input, target);
        return new BinaryCrossEntropyWithLogitsFunction().Apply(input, target);
    }
}
