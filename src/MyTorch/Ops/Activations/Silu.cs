using System.Numerics;
using System.Numerics.Tensors;
using MyTorch.Diagnostics;
using MyTorch.Visualization;

namespace MyTorch.Ops
{
    /// <summary>
    /// SiLU (swish), x sigmoid(x), computed as PyTorch does: x / (1 + e^-x). Derivative s (1 + x (1 - s)) with s = sigmoid(x),
    /// PyTorch's <c>silu_backward</c>.
    /// </summary>
    internal sealed class SiluOp : ElementwiseOp<SiluOp>, IElementwiseOp<SiluOp>
    {
        public static new string Name => "silu";

        public override OpNotation Notation { get; } =
            new("silu({0})", ["s(1 + {0}(1 - s)), s = sigmoid({0})"], ["{g} * s(1 + {0}(1 - s))"], true);

        public override string ActivationName => "silu";

        public override NN.Module CreateModule() => new NN.SiLU();

        public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, T p) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Negate(x, y);
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Add(y, T.One, y);
            TensorPrimitives.Divide(x, y, y);
        }

        public static void Backward<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dx, T p)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            SigmoidOp.Forward(x, dx, p);
            for (int i = 0; i < dx.Length; i++)
            {
                T s = dx[i];
                dx[i] = g[i] * (s * (T.One + (x[i] * (T.One - s))));
            }
        }

        public static Tensor Derivative(Tensor x, Tensor y, double p)
        {
            var s = x.Sigmoid();
            return s * (1 + x * (1 - s));
        }

        public override IEnumerable<GradCheckCase> GradCheckCases => [Case("(3, 4)", () => [Uniform(76, -4, 4, 3, 4)])];
    }
}

namespace MyTorch
{
    public sealed partial class Tensor
    {
        /// <summary>SiLU (swish): x sigmoid(x), as PyTorch's <c>torch.nn.functional.silu</c>. Derivative: s(1 + x(1 - s)), s = sigmoid(x).</summary>
        public Tensor Silu() => Ops.SiluOp.Apply(this);
    }
}

namespace MyTorch.NN
{
    /// <summary>SiLU (swish), x sigmoid(x), as PyTorch's <c>nn.SiLU</c>.</summary>
    public sealed class SiLU : Module
    {
        /// <inheritdoc/>
        public override Tensor Forward(Tensor input)
        {
            ArgumentNullException.ThrowIfNull(input);
            return input.Silu();
        }
    }
}
