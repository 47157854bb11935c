using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Kernels;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>log(1 + x), accurate for tiny x; derivative 1/(1 + x).</summary>
    internal sealed class Log1pOp : ElementwiseOp<Log1pOp>, IElementwiseOp<Log1pOp>
    {
        public static new string Name => "log1p";

        public override OpNotation Notation { get; } = new("log1p({0})", ["1/(1 + {0})"], ["{g} / (1 + {0})"], true);

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < y.Length; i++) y[i] = T.CreateTruncating(SpecialFunctions.Log1p(double.CreateTruncating(x[i])));
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Add(x, T.One, dx);
            TensorPrimitives.Divide(g, dx, dx);
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => 1 / (x + 1);

        public static Tensor BackwardAsOps(Tensor g, Tensor x, Tensor y, double p) => g / (x + 1);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4), above -1", () => [Uniform(80, -0.8, 2, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>log(1 + x), accurate where x is tiny (PyTorch's log1p). Derivative: 1/(1 + x).</summary>
        public Tensor Log1p() => Ops.Log1pOp.Apply(this);
    }
}
