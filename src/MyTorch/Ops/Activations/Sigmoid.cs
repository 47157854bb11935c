using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>sigmoid(x) = 1 / (1 + e^-x); derivative y (1 - y), from the output.</summary>
    internal sealed class SigmoidOp : ElementwiseOp<SigmoidOp>, IElementwiseOp<SigmoidOp>
    {
        public static new string Name => "sigmoid";

        public override OpNotation Notation { get; } = new("sigmoid({0})", ["{y}(1 - {y})"], ["{g} * {y}(1 - {y})"], true);

        public override string ActivationName => "sigmoid";

        public override NN.Module CreateModule() => new NN.Sigmoid();

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            // TensorPrimitives.Sigmoid rejects empty spans (unlike its element-wise siblings); an empty batch is no error.
            if (!x.IsEmpty) TensorPrimitives.Sigmoid(x, y);
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < dx.Length; i++) dx[i] = g[i] * (y[i] * (T.One - y[i]));
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p) => y * (1 - y);

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(70, -3, 3, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>1 / (1 + e^-x). Derivative: s(x)(1 - s(x)), computed from the output.</summary>
        public Tensor Sigmoid() => Ops.SigmoidOp.Apply(this);
    }
}
