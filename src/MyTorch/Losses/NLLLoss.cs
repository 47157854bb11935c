namespace MyTorch.Losses;

/// <summary>
/// PyTorch's <c>nn.NLLLoss</c>: for log-probabilities x of shape (batch, classes) (the output of
/// <see cref="Tensor.LogSoftmax"/>) and int64 class indices t of shape (batch,), loss_i = -x[i, t_i].
/// The mean over the batch by default.
/// </summary>
public sealed class NLLLoss : Loss
{
    private const string LossName = nameof(NLLLoss);

    /// <summary>Creates the loss; PyTorch's default is the mean over the batch.</summary>
    public NLLLoss(Reduction reduction = Reduction.Mean) : base(reduction) { }

    /// <summary>-input[i, target[i]] for each example, shape (batch,).</summary>
    public override Tensor PerElement(Tensor input, Tensor target)
    {
        LossChecks.BatchOfScores(LossName, input, "log-probabilities");
        LossChecks.ClassIndices(LossName, input, target);
        return -ClassTargets.Pick(input, target);
    }
}
