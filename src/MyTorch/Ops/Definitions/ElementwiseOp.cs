using System.Numerics;
using MyTorch.Compiled;
using MyTorch.Diagnostics;

namespace MyTorch.Ops;

/// <summary>
/// An element-wise op y = f(x; p) of one tensor and an optional scalar parameter p (a slope, say), declared once:
/// the forward kernel, the backward kernel dx = g f'(x), and f'(x) as differentiable ops. Eager autograd, the planned
/// paths (which replay the same launches), the seed API's <c>Derivative()</c>, drawings and gradient checks all use
/// this declaration.
/// </summary>
/// <remarks>
/// <see cref="Backward{T}"/> is the fused pass a backward that builds no graph runs; <see cref="Derivative"/> is the same
/// derivative as ops, which a backward with <c>createGraph</c> multiplies by the gradient so that it can be
/// differentiated again. The tests check that both give the same bits.
/// </remarks>
internal interface IElementwiseOp<TSelf> where TSelf : IElementwiseOp<TSelf>
{
    /// <summary>The op's name.</summary>
    static abstract string Name { get; }

    /// <summary>y = f(x; p), element by element.</summary>
    static abstract void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>dx = g f'(x; p), element by element, from the input x and the output y.</summary>
    static abstract void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The fused backward as the launch runs it, given p in double: rounds p to <typeparamref name="T"/> and calls
    /// <see cref="Backward{T}"/>, unless an op derives another parameter from p that must be taken in double (pow's
    /// p - 1, as PyTorch and the op form compute it).
    /// </summary>
    static virtual void BackwardWithParameter<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, double p)
        where T : unmanaged, IFloatingPointIeee754<T> => TSelf.Backward(g, x, y, dx, T.CreateTruncating(p));

    /// <summary>f'(x; p) as differentiable ops of the input <paramref name="x"/> and the output <paramref name="y"/>.</summary>
    static abstract Tensor Derivative(Tensor x, Tensor y, double p);

    /// <summary>dL/dx from dL/dy as differentiable ops; g f'(x) unless the op says otherwise (a mask is selected, not multiplied).</summary>
    static virtual Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => g * TSelf.Derivative(x, y, p);
}

/// <summary>The registry entry and the runner of an <see cref="IElementwiseOp{TSelf}"/>.</summary>
internal abstract class ElementwiseOp<TSelf> : OpDefinition where TSelf : ElementwiseOp<TSelf>, IElementwiseOp<TSelf>
{
    /// <inheritdoc/>
    public override string Name => TSelf.Name;

    /// <summary>The scalar parameter the op takes when none is given (a leaky ReLU's slope).</summary>
    protected virtual double DefaultParameter => 0;

    /// <inheritdoc/>
    public override Func<Tensor, Tensor> Elementwise => x => Apply(x, DefaultParameter);

    /// <inheritdoc/>
    public override Func<Tensor, Tensor, Tensor> DeclaredDerivative => (x, y) => DerivativeAt(x, y, DefaultParameter);

    /// <summary>y = f(x; p), recorded in the graph with the declared backward.</summary>
    public static Tensor Apply(Tensor x, double p = 0)
    {
        ArgumentNullException.ThrowIfNull(x);
        x.RequireFloat(TSelf.Name);
        var y = Tensor.Empty((int[])x.ShapeArray.Clone(), x.DType, TSelf.Name);
        Recording.Launch((x, y, p), ForwardLaunch);
        return Autograd.Record(y, TSelf.Name, [x], g => [Autograd.IsGradEnabled ? TSelf.BackwardAsOps(g, x, y, p) : Backward(g, x, y, p)]);
    }

    /// <summary>f'(x; p) for the input <paramref name="x"/> and output <paramref name="y"/> of a forward pass, not recorded.</summary>
    public static Tensor DerivativeAt(Tensor x, Tensor y, double p = 0)
    {
        using (Autograd.NoGrad()) return TSelf.Derivative(x, y, p);
    }

    private static Tensor Backward(Tensor g, Tensor x, Tensor y, double p)
    {
        var dx = Tensor.Empty((int[])g.ShapeArray.Clone(), g.DType, TSelf.Name);
        Recording.Launch((g, x, y, dx, p), BackwardLaunch);
        return dx;
    }

    private static readonly Action<(Tensor X, Tensor Y, double P)> ForwardLaunch = static s =>
    {
        if (s.X.DType == DType.Float32) TSelf.Forward<float>(s.X.F32, s.Y.F32, (float)s.P);
        else TSelf.Forward<double>(s.X.F64, s.Y.F64, s.P);
    };

    private static readonly Action<(Tensor G, Tensor X, Tensor Y, Tensor Dx, double P)> BackwardLaunch = static s =>
    {
        if (s.G.DType == DType.Float32) TSelf.BackwardWithParameter<float>(s.G.F32, s.X.F32, s.Y.F32, s.Dx.F32, s.P);
        else TSelf.BackwardWithParameter<double>(s.G.F64, s.X.F64, s.Y.F64, s.Dx.F64, s.P);
    };

    /// <summary>dx = g f'(x) for an op whose derivative is an element-wise kernel of x: the kernel into dx, then the product.</summary>
    protected static void GradientTimesDerivative<TDerivative, T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, Span<T> dx)
        where TDerivative : Kernels.IUnaryKernel
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TDerivative.Apply(x, dx);
        System.Numerics.Tensors.TensorPrimitives.Multiply(g, dx, dx);
    }

    /// <summary>A gradient-check case of this op on seeded inputs.</summary>
    protected static GradCheckCase Case(string variant, Func<Tensor[]> inputs, double p = 0) =>
        new("op", TSelf.Name, variant, inputs, x => Apply(x[0], p));

    /// <summary>Uniform float64 values in [low, high) that require grad.</summary>
    protected static Tensor Uniform(ulong seed, double low, double high, params int[] shape) =>
        Tensor.Uniform(shape, low, high, new Generator(seed), DType.Float64, requiresGrad: true);

    /// <summary>Random signs with magnitudes in [0.2, 1.2): away from a kink at 0.</summary>
    protected static Tensor AwayFromZero(ulong seed, params int[] shape)
    {
        var generator = new Generator(seed);
        var values = new double[Shapes.Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = (generator.NextDouble() < 0.5 ? -1 : 1) * (0.2 + generator.NextDouble());
        return Tensor.FromArray(values, shape, requiresGrad: true);
    }

    /// <summary>Values in (-3, 3) at least 0.15 from an integer: away from the steps of floor, ceil and round.</summary>
    protected static Tensor AwayFromIntegers(ulong seed, params int[] shape)
    {
        var generator = new Generator(seed);
        var values = new double[Shapes.Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = Math.Floor(generator.NextDouble() * 6 - 3) + 0.15 + 0.7 * generator.NextDouble();
        return Tensor.FromArray(values, shape, requiresGrad: true);
    }
}
