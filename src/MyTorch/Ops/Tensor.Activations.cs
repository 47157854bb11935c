using MyTorch.Kernels;

namespace MyTorch;

// Activation functions with the derivatives seed 004 specifies.
public sealed partial class Tensor
{
    /// <summary>1 / (1 + e^-x). Derivative: s(x)(1 - s(x)), computed from the output.</summary>
    public Tensor Sigmoid()
    {
        var y = Unary<SigmoidKernel>(this, "sigmoid");
        return Autograd.Record(y, "sigmoid", [this], g => [g * y * (1 - y)]);
    }

    /// <summary>tanh(x). Derivative: 1 - tanh(x)^2, computed from the output.</summary>
    public Tensor Tanh()
    {
        var y = Unary<TanhKernel>(this, "tanh");
        return Autograd.Record(y, "tanh", [this], g => [g * (1 - y * y)]);
    }

    /// <summary>max(x, 0). Derivative: 1 where x &gt; 0 and 0 where x &lt;= 0 (seed 004's convention at 0).</summary>
    public Tensor Relu()
    {
        var y = Unary<ReluKernel>(this, "relu");
        var x = this;
        return Autograd.Record(y, "relu", [this], g => [Autograd.IsGradEnabled ? g * Unary<PositiveMaskKernel>(x, "relu_mask") : ReluBackward(g, x)]);
    }

    /// <summary>g where x &gt; 0, else 0, in one pass (the mask and the product fused); not recorded.</summary>
    private static Tensor ReluBackward(Tensor g, Tensor x)
    {
        var result = EmptyLike(g);
        Compiled.Recording.Launch((g, x, result), static s =>
        {
            if (s.g.DType == DType.Float32) Kernels.ActivationKernels.ReluBackward<float>(s.g.F32, s.x.F32, s.result.F32);
            else Kernels.ActivationKernels.ReluBackward<double>(s.g.F64, s.x.F64, s.result.F64);
        });
        return result;
    }

    /// <summary>x where x &gt; 0, else slope * x. Derivative: 1 or slope (slope at 0).</summary>
    public Tensor LeakyRelu(double negativeSlope = 0.01)
    {
        var x = this;
        var positive = Unary<PositiveMaskKernel>(x, "leaky_relu");
        var factor = positive + (1 - positive) * negativeSlope;
        var y = Binary<MultiplyKernel>(x, factor, "leaky_relu");
        return Autograd.Record(y, "leaky_relu", [this], g => [g * factor]);
    }

    /// <summary>log(1 + e^x) (x itself above 20, as in PyTorch). Derivative: sigmoid(x).</summary>
    public Tensor Softplus()
    {
        var y = Unary<SoftplusKernel>(this, "softplus");
        var x = this;
        return Autograd.Record(y, "softplus", [this], g => [g * Unary<SoftplusDerivativeKernel>(x, "softplus")]);
    }

    /// <summary>GELU with the exact normal CDF: x Phi(x). Derivative: Phi(x) + x phi(x).</summary>
    public Tensor Gelu()
    {
        var y = Unary<GeluKernel>(this, "gelu");
        var x = this;
        return Autograd.Record(y, "gelu", [this], g => [g * Unary<GeluDerivativeKernel>(x, "gelu")]);
    }
}
