using MyTorch.NN;

namespace MyTorch.Seed;

/// <summary>
/// Seed 004's activation (task 3.1): <see cref="Forward"/> applies an element-wise function and keeps its output
/// in <see cref="State"/>; <see cref="Derivative"/> is d output / d input, element by element, at the last forward.
/// The function is a core module (<see cref="Function"/>), and the derivative is its backward from the library's
/// autograd, so both come from the one home each op has.
/// </summary>
/// <example><code>
/// var sigmoid = new Sigmoid();
/// var a = sigmoid.Forward(z);         // sigmoid.State is a, detached
/// var d = sigmoid.Derivative();       // a * (1 - a)
/// </code></example>
public class Activation
{
    private Tensor? input;

    /// <summary>Wraps <paramref name="function"/>, which must be element-wise and deterministic (any core activation is).</summary>
    public Activation(Module function)
    {
        ArgumentNullException.ThrowIfNull(function);
        Function = function;
    }

    /// <summary>The core module that computes the activation (what an <see cref="MLP"/> registers).</summary>
    public Module Function { get; }

    /// <summary>The output of the last <see cref="Forward"/> (detached); null before the first call.</summary>
    public Tensor? State { get; private set; }

    /// <summary>Applies the activation and keeps its output in <see cref="State"/>.</summary>
    public Tensor Forward(Tensor x)
    {
        var output = Function.Forward(x);
        input = x.Detach();
        State = output.Detach();
        return output;
    }

    /// <summary>d output / d input for each element of the last forward pass (the seed's <c>derivative()</c>), shape of the input.</summary>
    /// <exception cref="InvalidOperationException">No forward pass has run yet.</exception>
    public Tensor Derivative()
    {
        if (input is null)
            throw new InvalidOperationException($"{GetType().Name}.Derivative: call Forward first; the derivative is taken at its output.");
        // The function again, on a leaf of its own: the backward of an element-wise op fed ones is its derivative, and
        // this graph ends at this activation however the last forward's input was made.
        using (Autograd.EnableGrad())
        {
            var z = input.Detach().RequireGrad();
            var output = Function.Forward(z);
            return Autograd.Grad(output, z, Tensor.OnesLike(output))!.Detach();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}({Function})";
}

/// <summary>f(z) = z; derivative 1.</summary>
public sealed class Identity() : Activation(new NN.Identity());

/// <summary>S(z) = 1 / (1 + e^-z); derivative S(z)(1 - S(z)), from the state.</summary>
public sealed class Sigmoid() : Activation(new NN.Sigmoid());

/// <summary>tanh(z); derivative 1 - tanh(z)², from the state.</summary>
public sealed class Tanh() : Activation(new NN.Tanh());

/// <summary>R(z) = z for z &gt; 0, else 0; derivative 1 for z &gt; 0 and 0 for z &lt;= 0 (the seed's choice at 0).</summary>
public sealed class ReLU() : Activation(new NN.ReLU());
