namespace MyTorch.Losses;

/// <summary>
/// PyTorch's <c>nn.CrossEntropyLoss</c>: log-softmax of logits (batch, classes) followed by the negative
/// log-likelihood of int64 class indices (batch,), or -sum_j y_ij log softmax(x_i)_j for probability rows y
/// of the input's shape. Stable for large logits (the LogSumExp trick). The mean over the batch by default.
/// </summary>
/// <remarks>The same math as <see cref="Seed.SoftmaxCrossEntropy"/>, without its remembered state.</remarks>
public sealed class CrossEntropyLoss : Loss
{
    /// <summary>Creates the loss; PyTorch's default is the mean over the batch.</summary>
    public CrossEntropyLoss(Reduction reduction = Reduction.Mean) : base(reduction) { }

    /// <summary>The per-example cross-entropy, shape (batch,).</summary>
    public override Tensor PerElement(Tensor input, Tensor target) =>
        ClassTargets.FusedCrossEntropy(nameof(CrossEntropyLoss), input, target);
}
