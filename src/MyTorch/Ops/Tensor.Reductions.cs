using MyTorch.Kernels;

namespace MyTorch;

// Reductions over one dimension or all elements. keepDim follows NumPy's keepdims: summing a (3, 4, 5)
// tensor over dimension 0 gives (1, 4, 5) with keepDim and (4, 5) without.
public sealed partial class Tensor
{
    private int[] ReducedShape(int d, bool keepDim)
    {
        if (keepDim)
        {
            var kept = (int[])shape.Clone();
            kept[d] = 1;
            return kept;
        }
        var dropped = new int[Rank - 1];
        for (int i = 0, j = 0; i < Rank; i++) if (i != d) dropped[j++] = shape[i];
        return dropped;
    }

    /// <summary>The sum of all elements, as a 0-d tensor.</summary>
    public Tensor Sum() => Flatten().Sum(0);

    /// <summary>The sum over dimension <paramref name="dim"/>. Gradient: the output gradient copied to every summed element.</summary>
    public Tensor Sum(int dim, bool keepDim = false)
    {
        if (Rank == 0) return Reshape(1).Sum(0, keepDim: false);
        int d = Shapes.WrapDim(dim, Rank, "sum");
        var result = Empty(ReducedShape(d, keepDim), DType, "sum");
        var (outer, inner) = OuterInner(d);
        Compiled.Recording.Launch((x: this, outer, size: shape[d], inner, result), static s =>
        {
            var (x, outer, size, inner, result) = s;
            switch (x.DType)
            {
                case DType.Float32: ReductionKernels.Sum<float>(x.F32, outer, size, inner, result.F32); break;
                case DType.Float64: ReductionKernels.Sum<double>(x.F64, outer, size, inner, result.F64); break;
                default: ReductionKernels.Sum<long>(x.I64, outer, size, inner, result.I64); break;
            }
        });
        var x = this;
        return Autograd.Record(result, "sum", [this], g => [(keepDim ? g : g.Unsqueeze(d)).BroadcastTo(x.shape)]);
    }

    /// <summary>The mean of all elements; NaN for an empty tensor, as in PyTorch.</summary>
    public Tensor Mean() => Flatten().Mean(0);

    /// <summary>The mean over dimension <paramref name="dim"/>.</summary>
    public Tensor Mean(int dim, bool keepDim = false)
    {
        RequireFloat("mean");
        int size = Rank == 0 ? 1 : shape[Shapes.WrapDim(dim, Rank, "mean")];
        return Sum(dim, keepDim) / size;
    }

    /// <summary>
    /// The variance over dimension <paramref name="dim"/>: sum((x - mean)^2) / (n - 1) when
    /// <paramref name="unbiased"/> (PyTorch's default), or / n (the biased batch variance BatchNorm uses).
    /// </summary>
    public Tensor Var(int dim, bool keepDim = false, bool unbiased = true)
    {
        RequireFloat("var");
        int d = Shapes.WrapDim(dim, Rank, "var");
        if (Rank == 0) return Reshape(1).Var(0, keepDim: false, unbiased).Reshape();
        var centered = this - Mean(d, keepDim: true);
        return (centered * centered).Sum(d, keepDim) / Math.Max(shape[d] - (unbiased ? 1 : 0), 0);
    }

    /// <summary>The variance of all elements.</summary>
    public Tensor Var(bool unbiased = true) => Flatten().Var(0, keepDim: false, unbiased);

    /// <summary>The largest element. Tied largest elements share the gradient equally, as in PyTorch.</summary>
    public Tensor Max() => ExtremeOfAll(largest: true);

    /// <summary>The smallest element. Tied smallest elements share the gradient equally, as in PyTorch.</summary>
    public Tensor Min() => ExtremeOfAll(largest: false);

    private Tensor ExtremeOfAll(bool largest)
    {
        Tensor value;
        using (Autograd.NoGrad()) value = Flatten().Extreme(0, keepDim: false, largest);
        value = value.Detach();
        var x = this;
        return Autograd.Record(value, largest ? "max" : "min", [this], g =>
        {
            // Every element equal to the result shares g (a NaN result is shared by the NaNs); the others get an exact 0.
            var hit = Where(value.Ne(value), x.Ne(x), x.Eq(value));
            return [Where(hit, g / hit.Sum(), ZerosLike(x))];
        });
    }

    /// <summary>The largest element along <paramref name="dim"/>. The gradient goes to the (first) largest element.</summary>
    public Tensor Max(int dim, bool keepDim = false) => Extreme(dim, keepDim, largest: true);

    /// <summary>The smallest element along <paramref name="dim"/>. The gradient goes to the (first) smallest element.</summary>
    public Tensor Min(int dim, bool keepDim = false) => Extreme(dim, keepDim, largest: false);

    /// <summary>The index (int64) of the largest element along <paramref name="dim"/>; the first on ties.</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => ArgExtreme(dim, keepDim, largest: true, "argmax");

    /// <summary>The flat index (int64, 0-d) of the largest element.</summary>
    public Tensor ArgMax() => Flatten().ArgMax(0);

    /// <summary>The index (int64) of the smallest element along <paramref name="dim"/>; the first on ties.</summary>
    public Tensor ArgMin(int dim, bool keepDim = false) => ArgExtreme(dim, keepDim, largest: false, "argmin");

    private Tensor ArgExtreme(int dim, bool keepDim, bool largest, string op)
    {
        if (Rank == 0) return Reshape(1).ArgExtreme(0, keepDim: false, largest, op);
        int d = Shapes.WrapDim(dim, Rank, op);
        if (shape[d] == 0) throw new TensorShapeException($"{op}: dimension {dim} of shape {Shapes.Format(shape)} is empty.");
        var result = Empty(ReducedShape(d, keepDim), DType.Int64, op);
        var (outer, inner) = OuterInner(d);
        Compiled.Recording.Launch((x: this, outer, size: shape[d], inner, result, largest), static s =>
        {
            var (x, outer, size, inner, result, largest) = s;
            switch (x.DType)
            {
                case DType.Float32: ReductionKernels.ArgExtreme<float>(x.F32, outer, size, inner, result.I64, largest); break;
                case DType.Float64: ReductionKernels.ArgExtreme<double>(x.F64, outer, size, inner, result.I64, largest); break;
                default: ReductionKernels.ArgExtreme<long>(x.I64, outer, size, inner, result.I64, largest); break;
            }
        });
        return result;
    }

    private Tensor Extreme(int dim, bool keepDim, bool largest)
    {
        string op = largest ? "max" : "min";
        if (Rank == 0) return Reshape(1).Extreme(0, keepDim: false, largest);
        int d = Shapes.WrapDim(dim, Rank, op);
        var indices = ArgExtreme(d, keepDim: true, largest, op);
        var result = Empty(ReducedShape(d, keepDim), DType, op);
        var (outer, inner) = OuterInner(d);
        Compiled.Recording.Launch((x: this, outer, size: shape[d], inner, indices, result), static s =>
        {
            var (x, outer, size, inner, indices, result) = s;
            switch (x.DType)
            {
                case DType.Float32: ReductionKernels.Gather<float>(x.F32, outer, size, inner, indices.I64, result.F32); break;
                case DType.Float64: ReductionKernels.Gather<double>(x.F64, outer, size, inner, indices.I64, result.F64); break;
                default: ReductionKernels.Gather<long>(x.I64, outer, size, inner, indices.I64, result.I64); break;
            }
        });
        var x = this;
        return Autograd.Record(result, op, [this], g =>
        {
            var mask = EmptyLike(x);
            Compiled.Recording.Launch((mask, outer, size: x.shape[d], inner, indices), static s =>
            {
                var (mask, outer, size, inner, indices) = s;
                if (mask.DType == DType.Float32) ReductionKernels.OneHotMask<float>(mask.F32, outer, size, inner, indices.I64);
                else ReductionKernels.OneHotMask<double>(mask.F64, outer, size, inner, indices.I64);
            });
            // Select rather than multiply by the mask, so an infinite g gives 0, not NaN, where the mask is 0.
            return [Where(mask, keepDim ? g : g.Unsqueeze(d), ZerosLike(x))];
        });
    }

    /// <summary>
    /// log(sum(exp(x))) over <paramref name="dim"/>, computed as m + log(sum(exp(x - m))) with m the maximum
    /// (the LogSumExp trick of seed 004), so inputs like ±1000 give finite, exact results.
    /// Gradient: softmax(x) times the output gradient.
    /// </summary>
    public Tensor LogSumExp(int dim, bool keepDim = false)
    {
        RequireFloat("logsumexp");
        int d = Shapes.WrapDim(dim, Rank, "logsumexp");
        if (Rank == 0) return Reshape(1).LogSumExp(0).Reshape();
        Tensor result, softmax;
        using (Autograd.NoGrad())
        {
            var max = KeptMax(d);
            // A row of -inf (or +inf) maxima would give inf - inf = NaN; shift such rows by 0 instead.
            var shift = Where(max.Abs().Lt(double.PositiveInfinity), max, ZerosLike(max));
            var exp = (this - shift).Exp();
            var sum = exp.Sum(d, keepDim: true);
            var kept = sum.Log() + shift;
            softmax = exp / sum;
            result = keepDim ? kept : kept.Squeeze(d);
        }
        result = result.Detach();
        return Autograd.Record(result, "logsumexp", [this], g => [(keepDim ? g : g.Unsqueeze(d)) * softmax]);
    }

    // The maximum over d as a size-1 dimension; zeros when d is empty, where there is nothing to shift.
    private Tensor KeptMax(int d) => shape[d] == 0 ? Zeros(ReducedShape(d, keepDim: true), DType) : Max(d, keepDim: true);

    /// <summary>exp(x) / sum(exp(x)) over <paramref name="dim"/>, stable for large inputs (the maximum is subtracted first).</summary>
    public Tensor Softmax(int dim = -1)
    {
        RequireFloat("softmax");
        int d = Shapes.WrapDim(dim, Rank, "softmax");
        if (Rank == 0) return Reshape(1).Softmax(0).Reshape();
        Tensor y;
        using (Autograd.NoGrad())
        {
            var shifted = (this - KeptMax(d)).Exp();
            y = (shifted / shifted.Sum(d, keepDim: true)).Detach();
        }
        // dL/dx_i = y_i (g_i - sum_j g_j y_j)
        return Autograd.Record(y, "softmax", [this], g => [y * (g - (g * y).Sum(d, keepDim: true))]);
    }

    /// <summary>log(softmax(x)) over <paramref name="dim"/>, computed as x - logsumexp(x) so it never takes log(0).</summary>
    public Tensor LogSoftmax(int dim = -1)
    {
        RequireFloat("log_softmax");
        int d = Shapes.WrapDim(dim, Rank, "log_softmax");
        if (Rank == 0) return Reshape(1).LogSoftmax(0).Reshape();
        Tensor y;
        using (Autograd.NoGrad())
        {
            // (x - m) - log(sum(exp(x - m))) with m the maximum, as PyTorch computes it: x - logsumexp(x) would round
            // at the scale of x, losing all float32 digits of a result near 0 when x is near ±1000. An infinite m is
            // not replaced, so a row with +inf (or only -inf) is all NaN, as in PyTorch.
            var shifted = this - KeptMax(d);
            y = (shifted - shifted.Exp().Sum(d, keepDim: true).Log()).Detach();
        }
        // dL/dx_i = g_i - softmax_i * sum_j g_j
        return Autograd.Record(y, "log_softmax", [this], g => [g - y.Exp() * g.Sum(d, keepDim: true)]);
    }
}
