using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>e^x - 1, accurate for tiny x; derivative e^x, the output plus 1.</summary>
    internal sealed class Expm1Op : ElementwiseOp<Expm1Op>, IElementwiseOp<Expm1Op>
    {
        public static new string Name => "expm1";

        public override OpNotation Notation { get; } = new("expm1({0})", ["{y} + 1"], ["{g} * ({y} + 1)"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = T.CreateTruncating(SpecialFunctions.Expm1(double.CreateTruncating(x[i])));
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Add(y, T.One, dx);
            TensorPrimitives.Multiply(g, dx, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => y + 1;

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(81, -2, 2, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>e^x - 1, accurate where x is tiny (PyTorch's expm1). Derivative: e^x.</summary>
        public Tensor Expm1() => Ops.Expm1Op.Apply(this);
    }
}
