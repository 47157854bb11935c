namespace MyTorch.Losses;

/// <summary>
/// The math the classification losses share: picking each row's target entry, one-hot rows, and the
/// per-example cross-entropy of <see cref="Seed.SoftmaxCrossEntropy"/> and <see cref="CrossEntropyLoss"/>.
/// </summary>
internal static class ClassTargets
{
    /// <summary>
    /// The per-example cross-entropy of (batch, classes) logits against int64 class indices or probability rows,
    /// and the log-softmax it was computed from.
    /// </summary>
    /// <remarks>
    /// loss_i = -sum_j y_ij log softmax(x_i)_j = logsumexp(x_i) - sum_j y_ij x_ij when row i of y sums to 1
    /// (one-hot or a distribution; for other rows this is PyTorch's definition). Going through
    /// <see cref="Tensor.LogSoftmax"/>, which applies the LogSumExp trick as (x - m) - log(sum(exp(x - m))),
    /// keeps logits like ±1000 finite and, unlike subtracting logsumexp(x) from x, keeps float32 digits of a
    /// loss near 0. Class indices gather one entry per row instead of multiplying by a one-hot matrix, so a
    /// -inf logit in another class (a masked class) does not turn the loss into 0 * -inf = NaN.
    /// </remarks>
    public static Tensor CrossEntropy(string loss, Tensor input, Tensor target, out Tensor logSoftmax, out long[]? classIndices)
    {
        LossChecks.BatchOfScores(loss, input, "logits");
        ArgumentNullException.ThrowIfNull(target);
        if (target.DType == DType.Int64)
        {
            classIndices = LossChecks.ClassIndices(loss, input, target);
            logSoftmax = input.LogSoftmax(1);
            return -Pick(logSoftmax, classIndices);
        }
        LossChecks.ProbabilityRows(loss, input, target);
        classIndices = null;
        logSoftmax = input.LogSoftmax(1);
        return -(target * logSoftmax).Sum(1);
    }

    /// <summary>
    /// The per-example cross-entropy against class indices as one fused op (see <see cref="CrossEntropyFunction"/>),
    /// for losses that need no log-softmax tensor afterwards.
    /// </summary>
    public static Tensor FusedCrossEntropy(string loss, Tensor input, Tensor target)
    {
        LossChecks.BatchOfScores(loss, input, "logits");
        ArgumentNullException.ThrowIfNull(target);
        if (target.DType != DType.Int64) return CrossEntropy(loss, input, target, out _, out _);
        var classIndices = LossChecks.ClassIndices(loss, input, target);
        return new CrossEntropyFunction(classIndices).Apply(input);
    }

    /// <summary>values[i, classIndices[i]] for each row i of a (batch, classes) tensor, as a (batch,) tensor; differentiable.</summary>
    public static Tensor Pick(Tensor values, long[] classIndices)
    {
        int classes = values.Shape[1];
        var flat = new long[classIndices.Length];
        for (int i = 0; i < flat.Length; i++) flat[i] = (long)i * classes + classIndices[i];
        return values.Reshape(-1).IndexSelect(0, Tensor.FromArray(flat));
    }

    /// <summary>A (batch, classes) tensor of <paramref name="dtype"/> with a 1 at each row's class and 0 elsewhere.</summary>
    public static Tensor OneHot(long[] classIndices, int classes, DType dtype)
    {
        var result = Tensor.Zeros([classIndices.Length, classes], dtype);
        for (int i = 0; i < classIndices.Length; i++) result.SetDouble(i * classes + (int)classIndices[i], 1);
        return result;
    }
}
