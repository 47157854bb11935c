namespace MyTorch.Losses;

/// <summary>
/// PyTorch's <c>nn.BCELoss</c>: binary cross-entropy -(y log p + (1 - y) log(1 - p)) on probabilities p in
/// [0, 1] (for example the output of a sigmoid) against targets y of the same shape, usually 0 or 1.
/// Each log is floored at -100 as in PyTorch, so p = 0 or 1 gives a finite loss and gradient.
/// The mean over all elements by default.
/// </summary>
/// <remarks>
/// For a network's raw output prefer <see cref="BCEWithLogitsLoss"/>, which folds the sigmoid in and stays
/// exact where the sigmoid would round to 0 or 1.
/// </remarks>
public sealed class BCELoss : Loss
{
    private const string LossName = nameof(BCELoss);

    /// <summary>Creates the loss; PyTorch's default is the mean over all elements.</summary>
    public BCELoss(Reduction reduction = Reduction.Mean) : base(reduction) { }

    /// <summary>-(y max(log p, -100) + (1 - y) max(log(1 - p), -100)), element-wise; every p must lie in [0, 1].</summary>
    public override Tensor PerElement(Tensor input, Tensor target)
    {
        LossChecks.ElementWise(LossName, input, target);
        LossChecks.Probabilities(LossName, input);
        return new BinaryCrossEntropyFunction().Apply(input, target);
    }
}
