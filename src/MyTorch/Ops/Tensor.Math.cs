using System.Numerics.Tensors;
using MyTorch.Kernels;

namespace MyTorch;

// Element-wise functions and their derivatives, each written as the chain-rule product
// dL/dx = dL/dy * dy/dx with dy/dx expressed through tensor ops (so higher derivatives work too).
public sealed partial class Tensor
{
    /// <summary>-1, 0 or 1 by the sign of each element. Its gradient is zero everywhere, as in PyTorch.</summary>
    public Tensor Sign()
    {
        var y = Unary<SignKernel>(this, "sign");
        var x = this;
        return Autograd.Record(y, "sign", [this], g => [ZerosLike(x)]);
    }

    /// <summary>x raised to a scalar power. Derivative: p x^(p-1).</summary>
    public Tensor Pow(double exponent)
    {
        RequireFloat("pow");
        var y = EmptyLike(this);
        Compiled.Recording.Launch((x: this, exponent, y), static s =>
        {
            if (s.x.DType == DType.Float32) TensorPrimitives.Pow(s.x.F32, (float)s.exponent, s.y.F32);
            else TensorPrimitives.Pow(s.x.F64, s.exponent, s.y.F64);
        });
        var x = this;
        return Autograd.Record(y, "pow", [this], g => [exponent == 0 ? ZerosLike(x) : g * exponent * x.Pow(exponent - 1)]);
    }

    /// <summary>x squared (x * x).</summary>
    public Tensor Square() => this * this;

    /// <summary>
    /// Limits every element to [<paramref name="min"/>, <paramref name="max"/>] (either bound optional); with
    /// min &gt; max every element is max, as in PyTorch. The gradient passes where min &lt;= x &lt;= max, else 0.
    /// </summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        RequireFloat("clamp");
        var y = EmptyLike(this);
        Compiled.Recording.Launch((x: this, min, max, y), static s =>
        {
            if (s.x.DType == DType.Float32)
            {
                s.x.F32.CopyTo(s.y.F32, 0);
                if (s.min is double lo32) TensorPrimitives.Max(s.y.F32, (float)lo32, s.y.F32);
                if (s.max is double hi32) TensorPrimitives.Min(s.y.F32, (float)hi32, s.y.F32);
            }
            else
            {
                s.x.F64.CopyTo(s.y.F64, 0);
                if (s.min is double lo64) TensorPrimitives.Max(s.y.F64, lo64, s.y.F64);
                if (s.max is double hi64) TensorPrimitives.Min(s.y.F64, hi64, s.y.F64);
            }
        });
        var x = this;
        return Autograd.Record(y, "clamp", [this], g =>
        {
            // Select rather than multiply by a 0/1 mask: an infinite g must give 0 outside the range, not NaN.
            var inside = OnesLike(x);
            if (min is double a) inside = inside * x.Ge(a);
            if (max is double b) inside = inside * x.Le(b);
            return [Where(inside, g, ZerosLike(x))];
        });
    }

    /// <summary>
    /// Element-wise maximum of two tensors with broadcasting. The gradient goes to the larger input, and is
    /// split equally on ties, as in PyTorch.
    /// </summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Extremum<MaximumKernel>(a, b, "maximum", larger: true);

    /// <summary>Element-wise minimum of two tensors with broadcasting; gradient as for <see cref="Maximum"/>.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Extremum<MinimumKernel>(a, b, "minimum", larger: false);

    private static Tensor Extremum<TOp>(Tensor a, Tensor b, string op, bool larger) where TOp : IBinaryKernel<TOp>
    {
        var y = Binary<TOp>(a, b, op);
        return Autograd.Record(y, op, [a, b], g =>
        {
            // PyTorch's selection: the loser gets an exact 0 (never g * 0, which is NaN for an infinite g), a tie
            // g / 2 each, and otherwise (a NaN on either side too) the whole of g.
            var tie = a.Eq(b);
            var zeros = ZerosLike(y);
            var shared = Where(tie, g / 2, g);
            return [
                a.RequiresGrad ? Where(larger ? a.Lt(b) : a.Gt(b), zeros, shared).SumTo(a.shape) : null,
                b.RequiresGrad ? Where(larger ? a.Gt(b) : a.Lt(b), zeros, shared).SumTo(b.shape) : null];
        });
    }

    /// <summary>
    /// Picks from <paramref name="a"/> where <paramref name="condition"/> is non-zero and from
    /// <paramref name="b"/> elsewhere, broadcasting all three. The gradient goes to the input that was picked.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var outShape = Shapes.Broadcast(Shapes.Broadcast(condition.shape, a.shape, "where"), b.shape, "where");
        if (a.DType != b.DType) ThrowDTypeMismatch("where", a, b);
        var c = condition.BroadcastTo(outShape).Detach();
        var ea = a.BroadcastTo(outShape).Detach();
        var eb = b.BroadcastTo(outShape).Detach();
        var y = Empty(outShape, a.DType, "where");
        Compiled.Recording.Launch((c, ea, eb, y), static s =>
        {
            switch (s.y.DType)
            {
                case DType.Float32: Select<float>(s.c, s.ea.F32, s.eb.F32, s.y.F32); break;
                case DType.Float64: Select<double>(s.c, s.ea.F64, s.eb.F64, s.y.F64); break;
                default: Select<long>(s.c, s.ea.I64, s.eb.I64, s.y.I64); break;
            }
        });
        return Autograd.Record(y, "where", [a, b], g =>
        {
            var zeros = ZerosLike(g);
            return [
                a.RequiresGrad ? Where(c, g, zeros).SumTo(a.shape) : null,
                b.RequiresGrad ? Where(c, zeros, g).SumTo(b.shape) : null];
        });
    }

    private static void Select<T>(Tensor condition, ReadOnlySpan<T> whenTrue, ReadOnlySpan<T> whenFalse, Span<T> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = condition.GetDouble(i) != 0 ? whenTrue[i] : whenFalse[i];
    }

    /// <summary>1 where this &gt; other, else 0 (same dtype; not differentiable).</summary>
    public Tensor Gt(Tensor other) => Binary<GreaterKernel>(this, other, "gt");
    /// <summary>1 where this &gt;= other, else 0.</summary>
    public Tensor Ge(Tensor other) => Binary<GreaterOrEqualKernel>(this, other, "ge");
    /// <summary>1 where this &lt; other, else 0.</summary>
    public Tensor Lt(Tensor other) => Binary<LessKernel>(this, other, "lt");
    /// <summary>1 where this &lt;= other, else 0.</summary>
    public Tensor Le(Tensor other) => Binary<LessOrEqualKernel>(this, other, "le");
    /// <summary>1 where this == other, else 0.</summary>
    public Tensor Eq(Tensor other) => Binary<EqualKernel>(this, other, "eq");
    /// <summary>1 where this != other, else 0.</summary>
    public Tensor Ne(Tensor other) => Binary<NotEqualKernel>(this, other, "ne");
    /// <summary>1 where this &gt; value, else 0.</summary>
    public Tensor Gt(double value) => Gt(ScalarLike(value, this));
    /// <summary>1 where this &gt;= value, else 0.</summary>
    public Tensor Ge(double value) => Ge(ScalarLike(value, this));
    /// <summary>1 where this &lt; value, else 0.</summary>
    public Tensor Lt(double value) => Lt(ScalarLike(value, this));
    /// <summary>1 where this &lt;= value, else 0.</summary>
    public Tensor Le(double value) => Le(ScalarLike(value, this));
    /// <summary>1 where this == value, else 0.</summary>
    public Tensor Eq(double value) => Eq(ScalarLike(value, this));
    /// <summary>1 where this != value, else 0.</summary>
    public Tensor Ne(double value) => Ne(ScalarLike(value, this));

    /// <summary>Whether every element is finite (no NaN or infinity).</summary>
    public bool AllFinite() => DType switch
    {
        DType.Float32 => Kernels.DataKernels.IndexOfNonFinite<float>(F32) < 0,
        DType.Float64 => Kernels.DataKernels.IndexOfNonFinite<double>(F64) < 0,
        _ => true,
    };
}
