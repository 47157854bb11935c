using System.Numerics;
using System.Numerics.Tensors;

namespace MyTorch.Kernels;

/// <summary>An element-wise function of one floating-point tensor, written once for float and double.</summary>
internal interface IUnaryKernel
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>sign(x): -1, 0 or 1 (NaN stays NaN); the derivative of |x|, with 0 at 0 as in PyTorch.</summary>
internal readonly struct SignKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++)
            d[i] = T.IsNaN(x[i]) ? x[i] : x[i] > T.Zero ? T.One : x[i] < T.Zero ? T.NegativeOne : T.Zero;
    }
}

/// <summary>
/// tanh(x), exact at ±0, odd, and accurate for small inputs: the vectorized TensorPrimitives.Tanh loses the relative
/// accuracy of inputs below about 0.6 in magnitude (its tanh(0) is not +0), so those go through Math.Tanh in double.
/// </summary>
internal readonly struct TanhKernel : IUnaryKernel
{
    // Above this magnitude TensorPrimitives.Tanh is within a few ulps in float and double.
    private const double VectorizedFrom = 0.625;

    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var limit = T.CreateTruncating(VectorizedFrom);
        if (x.Overlaps(d))
        {
            for (int i = 0; i < d.Length; i++) d[i] = T.CreateTruncating(Math.Tanh(double.CreateTruncating(x[i])));
            return;
        }
        TensorPrimitives.Tanh(x, d);
        for (int i = 0; i < d.Length; i++)
            if (T.Abs(x[i]) < limit) d[i] = T.CreateTruncating(Math.Tanh(double.CreateTruncating(x[i])));
    }
}

/// <summary>log(1 + e^x), returning x itself above 20 as PyTorch's softplus does (threshold 20).</summary>
internal readonly struct SoftplusKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T threshold = T.CreateTruncating(20);
        for (int i = 0; i < d.Length; i++)
            d[i] = x[i] > threshold ? x[i] : Log1P(T.Exp(x[i]));
    }

    /// <summary>
    /// log(1 + t) accurate for tiny t (Goldberg's trick): .NET's LogP1 is log(1 + t) evaluated as written, which
    /// returns 0 once 1 + t rounds to 1, so softplus(-40) would be 0 instead of e^-40.
    /// </summary>
    private static T Log1P<T>(T t) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.One + t;
        return u == T.One ? t : T.Log(u) * t / (u - T.One);
    }
}

/// <summary>The derivative of softplus: sigmoid(x), and exactly 1 above the threshold, as in PyTorch.</summary>
internal readonly struct SoftplusDerivativeKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T threshold = T.CreateTruncating(20);
        if (x.IsEmpty) return; // TensorPrimitives.Sigmoid rejects empty spans
        TensorPrimitives.Sigmoid(x, d);
        for (int i = 0; i < d.Length; i++)
            if (x[i] > threshold) d[i] = T.One;
    }
}

/// <summary>GELU with the exact Gaussian CDF: x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)).</summary>
internal readonly struct GeluKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            d[i] = T.CreateTruncating(0.5 * v * (1 + SpecialFunctions.Erf(v * 0.7071067811865476)));
        }
    }
}

/// <summary>d GELU / dx = Phi(x) + x * phi(x), where phi is the standard normal density.</summary>
internal readonly struct GeluDerivativeKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < d.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            double cdf = 0.5 * (1 + SpecialFunctions.Erf(v * 0.7071067811865476));
            double pdf = Math.Exp(-0.5 * v * v) * 0.3989422804014327;
            d[i] = T.CreateTruncating(cdf + v * pdf);
        }
    }
}
