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
    public static Tensor CrossEntropy(string loss, Tensor input, Tensor target, out Tensor logSoftmax)
    {
        LossChecks.BatchOfScores(loss, input, "logits");
        ArgumentNullException.ThrowIfNull(target);
        if (target.DType == DType.Int64)
        {
            LossChecks.ClassIndices(loss, input, target);
            logSoftmax = input.LogSoftmax(1);
            return -Pick(logSoftmax, target);
        }
        LossChecks.ProbabilityRows(loss, input, target);
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
        if (target.DType != DType.Int64) return CrossEntropy(loss, input, target, out _);
        LossChecks.ClassIndices(loss, input, target);
        return new CrossEntropyFunction(target).Apply(input);
    }

    /// <summary>
    /// values[i, classIndices[i]] for each row i of a (batch, classes) tensor, as a (batch,) tensor; differentiable.
    /// The indices must have been checked (<see cref="LossChecks.ClassIndices"/>).
    /// </summary>
    public static Tensor Pick(Tensor values, Tensor classIndices)
    {
        int classes = values.Shape[1];
        var flat = Tensor.Empty([classIndices.Count], DType.Int64, "pick");
        Compiled.Recording.Launch((classIndices, flat, classes), static s =>
        {
            var (indices, flat, classes) = s;
            var from = indices.I64;
            var to = flat.I64;
            for (int i = 0; i < to.Length; i++) to[i] = (long)i * classes + from[i];
        });
        return values.Reshape(-1).IndexSelect(0, flat);
    }

    /// <summary>A (batch, classes) tensor of <paramref name="dtype"/> with a 1 at each row's class and 0 elsewhere.</summary>
    public static Tensor OneHot(Tensor classIndices, int classes, DType dtype)
    {
        var result = Tensor.Empty([classIndices.Count, classes], dtype, "one_hot");
        Compiled.Recording.Launch((classIndices, result, classes), static s =>
        {
            var (indices, result, classes) = s;
            var rows = indices.I64;
            result.Fill(0);
            for (int i = 0; i < rows.Length; i++) result.SetDouble(i * classes + (int)rows[i], 1);
        });
        return result;
    }
}
