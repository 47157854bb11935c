using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>x^p for a scalar exponent p; derivative p x^(p-1), with p - 1 taken in double as in PyTorch.</summary>
    internal sealed class PowOp : ElementwiseOp<PowOp>, IElementwiseOp<PowOp>
    {
        public static new string Name => "pow";

        public override OpNotation Notation { get; } = new("{0}^p", ["p {0}^(p-1)"], ["{g} * p {0}^(p-1)"], true);

        protected override double DefaultParameter => 2;

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T> =>
            TensorPrimitives.Pow(x, p, y);

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T> => BackwardWithParameter(g, x, y, dx, double.CreateTruncating(p));

        // (g p) x^(p-1), the order of the op form below; p rounded to T for the product, p - 1 rounded after the subtraction.
        public static void BackwardWithParameter<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, double p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            if (p == 0)
            {
                dx.Clear();
                return;
            }
            TensorPrimitives.Pow(x, T.CreateTruncating(p - 1), dx);
            var exponent = T.CreateTruncating(p);
            for (int i = 0; i < dx.Length; i++) dx[i] = g[i] * exponent * dx[i];
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => p == 0 ? Tensor.ZerosLike(x) : p * x.Pow(p - 1);

        public static Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => p == 0 ? Tensor.ZerosLike(x) : g * p * x.Pow(p - 1);

        public override IEnumerable<GradCheckCase> GradCheckCases
        {
            get
            {
                foreach (var p in new[] { 2.0, 3.0, -1.5, 0.5 })
                    yield return Case($"(3, 4) ^ {p.ToString(CultureInfo.InvariantCulture)}", () => [Uniform(12, 0.5, 2, 3, 4)], p);
            }
        }
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>x raised to a scalar power. Derivative: p x^(p-1).</summary>
        public Tensor Pow(double exponent) => Ops.PowOp.Apply(this, exponent);

        /// <summary>x squared (x * x).</summary>
        public Tensor Square() => this * this;
    }
}
