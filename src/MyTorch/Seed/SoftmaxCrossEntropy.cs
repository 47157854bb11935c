using MyTorch.Losses;

namespace MyTorch.Seed;

/// <summary>
/// Softmax cross-entropy on logits, seed 004's criterion: for logits x of shape (batch, classes) and one-hot
/// (or probability) rows y, loss_i = logsumexp(x_i) - sum_j y_ij x_ij, computed with the LogSumExp trick so
/// logits like ±1000 give finite, exact values. Targets may also be int64 class indices of shape (batch,).
/// </summary>
/// <remarks>
/// As in the seed, <see cref="Loss.Forward"/> returns the per-example loss, shape (batch,), by default, and the
/// criterion remembers its last forward pass so <see cref="Derivative"/> can return softmax(x) - y.
/// Autograd through <see cref="Loss.Forward"/> gives the same gradient (for <see cref="Reduction.Sum"/>).
/// It is computed as -sum_j y_ij log softmax(x_i)_j, with the stable log-softmax; that is the formula above
/// for every row that sums to 1, and PyTorch's definition for any other.
/// <see cref="CrossEntropyLoss"/> is the same math with PyTorch's defaults and no remembered state; this class
/// adds only what the seed asks for (its default of one loss per example, and <see cref="Derivative"/>).
/// </remarks>
/// <example>
/// <code>
/// var criterion = new SoftmaxCrossEntropy();
/// var loss = criterion.Forward(logits, oneHot);   // shape (batch,)
/// var delta = criterion.Derivative();             // softmax(logits) - oneHot, shape (batch, classes)
/// </code>
/// </example>
public sealed class SoftmaxCrossEntropy : Loss
{
    private const string LossName = nameof(SoftmaxCrossEntropy);
    private Tensor? target;

    /// <summary>Creates the criterion; the seed's default is no reduction (one loss per example).</summary>
    public SoftmaxCrossEntropy(Reduction reduction = Reduction.None) : base(reduction) { }

    /// <summary>softmax(x) of the last forward pass, shape (batch, classes) (detached); null before the first call.</summary>
    public Tensor? Softmax { get; private set; }

    /// <summary>
    /// The per-example loss logsumexp(x_i) - sum_j y_ij x_ij, shape (batch,), for logits x (batch, classes) and
    /// targets y: one-hot or probability rows of x's shape and dtype, or int64 class indices of shape (batch,).
    /// Remembers x's softmax and y for <see cref="Derivative"/>.
    /// </summary>
    public override Tensor PerElement(Tensor input, Tensor target)
    {
        var losses = ClassTargets.CrossEntropy(LossName, input, target, out var logSoftmax);
        // Exp of the log-softmax, as LogSoftmax's backward computes it, so Derivative() equals autograd's gradient bit for bit.
        using (Autograd.NoGrad()) Softmax = logSoftmax.Detach().Exp();
        this.target = target.Detach();
        return losses;
    }

    /// <summary>
    /// d loss_i / d x_i for the last forward pass: softmax(x) - y, shape (batch, classes), not divided by the batch
    /// size (seed 004's <c>derivative()</c>). For a target row that does not sum to 1 it is the exact gradient
    /// softmax(x_i) * sum_j y_ij - y_i.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass has run yet.</exception>
    public Tensor Derivative()
    {
        if (Softmax is null || target is null)
            throw new InvalidOperationException(
                $"{LossName}.Derivative: call Forward first; the derivative is taken at the last forward pass's logits and targets.");
        using (Autograd.NoGrad())
        {
            return target.DType == DType.Int64
                ? Softmax - ClassTargets.OneHot(target, Softmax.Shape[1], Softmax.DType)
                : Softmax * target.Sum(1, keepDim: true) - target;
        }
    }
}
