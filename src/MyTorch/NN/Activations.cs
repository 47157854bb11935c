namespace MyTorch.NN;

/// <summary>
/// An element-wise activation as a module. As in seed 004, it keeps its last output in <see cref="State"/>
/// and gives its derivative with respect to its input, element by element, from that state.
/// </summary>
public abstract class Activation : Module
{
    /// <summary>The output of the last <see cref="Forward"/> (detached); null before the first call.</summary>
    public Tensor? State { get; private set; }

    /// <summary>The input of the last <see cref="Forward"/> (detached).</summary>
    protected Tensor? LastInput { get; private set; }

    /// <summary>Applies the activation and remembers its output.</summary>
    public sealed override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = Apply(input);
        LastInput = input.Detach();
        State = output.Detach();
        return output;
    }

    /// <summary>The activation function itself.</summary>
    protected abstract Tensor Apply(Tensor input);

    /// <summary>d output / d input for each element of the last forward pass (seed 004's <c>derivative()</c>).</summary>
    public Tensor Derivative()
    {
        if (State is null)
            throw new InvalidOperationException($"{GetType().Name}.Derivative: call Forward first; the derivative is computed from its output.");
        using (Autograd.NoGrad()) return DerivativeFromState(State);
    }

    /// <summary>The derivative, computed from the stored output (and <see cref="LastInput"/> where needed).</summary>
    protected abstract Tensor DerivativeFromState(Tensor state);
}

/// <summary>f(z) = z. Derivative 1.</summary>
public sealed class Identity : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input;
    /// <inheritdoc/>
    protected override Tensor DerivativeFromState(Tensor state) => Tensor.OnesLike(state);
}

/// <summary>S(z) = 1 / (1 + e^-z). Derivative S(z)(1 - S(z)).</summary>
public sealed class Sigmoid : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Sigmoid();
    /// <inheritdoc/>
    protected override Tensor DerivativeFromState(Tensor state) => state * (1 - state);
}

/// <summary>tanh(z). Derivative 1 - tanh(z)².</summary>
public sealed class Tanh : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Tanh();
    /// <inheritdoc/>
    protected override Tensor DerivativeFromState(Tensor state) => 1 - state * state;
}

/// <summary>R(z) = z for z &gt; 0, else 0. Derivative 1 for z &gt; 0 and 0 for z &lt;= 0 (seed 004).</summary>
public sealed class ReLU : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Relu();
    /// <inheritdoc/>
    protected override Tensor DerivativeFromState(Tensor state) => state.Gt(0);
}

/// <summary>z for z &gt; 0, else slope * z. Derivative 1 or slope.</summary>
public sealed class LeakyReLU : Activation
{
    /// <summary>Creates the activation with the given negative slope.</summary>
    public LeakyReLU(double negativeSlope = 0.01) => NegativeSlope = negativeSlope;

    /// <summary>The slope for negative inputs.</summary>
    public double NegativeSlope { get; }

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.LeakyRelu(NegativeSlope);
    /// <inheritdoc/>
    protected override Tensor DerivativeFromState(Tensor state) { var positive = LastInput!.Gt(0); return positive + (1 - positive) * NegativeSlope; }
    /// <inheritdoc/>
    protected override string ExtraDescription => $"negative_slope={NegativeSlope}";
}

/// <summary>log(1 + e^z). Derivative sigmoid(z) = 1 - e^-softplus(z).</summary>
public sealed class Softplus : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Softplus();
    /// <inheritdoc/>
    protected override Tensor DerivativeFromState(Tensor state) =>
        Tensor.Unary<Kernels.SoftplusDerivativeKernel>(LastInput!, "softplus"); // sigmoid(z), exactly 1 past the threshold as in forward
}

/// <summary>GELU, z Φ(z) with the exact normal CDF. Derivative Φ(z) + z φ(z).</summary>
public sealed class GELU : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Gelu();
    /// <inheritdoc/>
    protected override Tensor DerivativeFromState(Tensor state) =>
        Tensor.Unary<Kernels.GeluDerivativeKernel>(LastInput!, "gelu"); // the kernel Gelu's backward uses
}
