namespace MyTorch.NN;

/// <summary>
/// An element-wise activation function as a module: no parameters and no state between calls. Seed 004's
/// activations, which keep their output and give their derivative, are <see cref="MyTorch.Seed.Activation"/>.
/// </summary>
public abstract class Activation : Module
{
    /// <summary>Applies the activation.</summary>
    public sealed override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Apply(input);
    }

    /// <summary>The activation function itself.</summary>
    protected abstract Tensor Apply(Tensor input);
}

/// <summary>f(z) = z.</summary>
public sealed class Identity : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input;
}

/// <summary>S(z) = 1 / (1 + e^-z).</summary>
public sealed class Sigmoid : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Sigmoid();
}

/// <summary>tanh(z).</summary>
public sealed class Tanh : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Tanh();
}

/// <summary>R(z) = z for z &gt; 0, else 0; its gradient at 0 is 0, as in PyTorch and seed 004.</summary>
public sealed class ReLU : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Relu();
}

/// <summary>z for z &gt; 0, else slope * z.</summary>
public sealed class LeakyReLU : Activation
{
    /// <summary>Creates the activation with the given negative slope.</summary>
    public LeakyReLU(double negativeSlope = 0.01) => NegativeSlope = negativeSlope;

    /// <summary>The slope for negative inputs.</summary>
    public double NegativeSlope { get; }

    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.LeakyRelu(NegativeSlope);
    /// <inheritdoc/>
    protected override string ExtraDescription => $"negative_slope={NegativeSlope}";
}

/// <summary>log(1 + e^z), linear past PyTorch's threshold of 20.</summary>
public sealed class Softplus : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Softplus();
}

/// <summary>GELU, z Φ(z) with the exact normal CDF.</summary>
public sealed class GELU : Activation
{
    /// <inheritdoc/>
    protected override Tensor Apply(Tensor input) => input.Gelu();
}
