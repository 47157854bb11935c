using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// a^b with broadcasting. The gradients are PyTorch's: g b a^(b-1) for the base, exactly 0 where b = 0; and
    /// g a^b log(a) for the exponent, exactly 0 where a = 0 and b &gt;= 0 (so 0^b has a zero exponent gradient).
    /// </summary>
    internal sealed class PowTensorOp : BinaryOp<PowTensorOp, PowKernel>, IBinaryOp<PowTensorOp>
    {
        public static new string Name => "pow_tensor";

        public override OpNotation Notation { get; } = new("{0}^{1}", ["{1} {0}^({1}-1)", "{0}^{1} log({0})"],
            ["{g} * {1} {0}^({1}-1)", "{g} * {0}^{1} log({0})"], true);

        public static Tensor GradientA(Tensor g, Tensor a, Tensor b) =>
            Tensor.Where(b.Eq(0), Tensor.ZerosLike(g), g * (b * Apply(a, b - 1)));

        // The output is recomputed (the same kernel, the same bits) rather than saved, so createGraph differentiates it.
        public static Tensor GradientB(Tensor g, Tensor a, Tensor b) =>
            g * Tensor.Where(a.Eq(0) * b.Ge(0), Tensor.ZerosLike(g), Apply(a, b) * a.Log());

        public override IEnumerable<GradCheckCase> GradCheckCases =>
        [
            Case("(3, 4) positive ^ (3, 4)", () => [Positive(90, 3, 4), Signed(91, 3, 4)], x => Apply(x[0], x[1])),
            Case("(2, 3, 4) positive ^ (3, 1): broadcast", () => [Positive(92, 2, 3, 4), Signed(93, 3, 1)], x => Apply(x[0], x[1])),
            Case("2.5 ^ (3, 4): a scalar base", () => [Signed(94, 3, 4)], x => Tensor.Pow(2.5, x[0])),
        ];

        private static Tensor Positive(ulong seed, params int[] shape) =>
            Tensor.Uniform(shape, 0.5, 2, new Generator(seed), DType.Float64, requiresGrad: true);

        private static Tensor Signed(ulong seed, params int[] shape) =>
            Tensor.Uniform(shape, -2, 2, new Generator(seed), DType.Float64, requiresGrad: true);
    }

    /// <summary>x^y: TensorPrimitives.Pow for float and double (as <c>Pow(double)</c>'s kernel), Math.Pow for integers.</summary>
    internal readonly struct PowKernel : IBinaryKernel<PowKernel>
    {
        public static T Scalar<T>(T x, T y) where T : unmanaged, INumber<T>
        {
            if (typeof(T) == typeof(float)) { float r = float.Pow(Unsafe.As<T, float>(ref x), Unsafe.As<T, float>(ref y)); return Unsafe.As<float, T>(ref r); }
            if (typeof(T) == typeof(double)) { double r = double.Pow(Unsafe.As<T, double>(ref x), Unsafe.As<T, double>(ref y)); return Unsafe.As<double, T>(ref r); }
            return T.CreateTruncating(Math.Pow(double.CreateTruncating(x), double.CreateTruncating(y)));
        }

        public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T>
        {
            if (typeof(T) == typeof(float)) TensorPrimitives.Pow(Cast<T, float>(x), Cast<T, float>(y), Cast<T, float>(d));
            else if (typeof(T) == typeof(double)) TensorPrimitives.Pow(Cast<T, double>(x), Cast<T, double>(y), Cast<T, double>(d));
            else for (int i = 0; i < d.Length; i++) d[i] = Scalar(x[i], y[i]);
        }

        public static void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T>
        {
            if (typeof(T) == typeof(float)) TensorPrimitives.Pow(Cast<T, float>(x), Unsafe.As<T, float>(ref y), Cast<T, float>(d));
            else if (typeof(T) == typeof(double)) TensorPrimitives.Pow(Cast<T, double>(x), Unsafe.As<T, double>(ref y), Cast<T, double>(d));
            else for (int i = 0; i < d.Length; i++) d[i] = Scalar(x[i], y);
        }

        public static void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T>
        {
            if (typeof(T) == typeof(float)) TensorPrimitives.Pow(Unsafe.As<T, float>(ref x), Cast<T, float>(y), Cast<T, float>(d));
            else if (typeof(T) == typeof(double)) TensorPrimitives.Pow(Unsafe.As<T, double>(ref x), Cast<T, double>(y), Cast<T, double>(d));
            else for (int i = 0; i < d.Length; i++) d[i] = Scalar(x, y[i]);
        }

        private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> s) where TFrom : struct where TTo : struct => MemoryMarshal.Cast<TFrom, TTo>(s);

        private static Span<TTo> Cast<TFrom, TTo>(Span<TFrom> s) where TFrom : struct where TTo : struct => MemoryMarshal.Cast<TFrom, TTo>(s);
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>
        /// x raised to the power of <paramref name="exponent"/>, element by element with broadcasting. Gradients as
        /// PyTorch: b x^(b-1) for x (0 where b = 0) and x^b log(x) for the exponent (0 where x = 0 and b &gt;= 0).
        /// </summary>
        public Tensor Pow(Tensor exponent) => Ops.PowTensorOp.Apply(this, exponent);

        /// <summary>A scalar <paramref name="self"/> raised to each power in <paramref name="exponent"/> (PyTorch's pow(Scalar, Tensor)).</summary>
        public static Tensor Pow(double self, Tensor exponent)
        {
            ArgumentNullException.ThrowIfNull(exponent);
            return Ops.PowTensorOp.Apply(ScalarLike(self, exponent), exponent);
        }
    }
}
